/**
 * Membership periods: the one definition of which entries of a group's log
 * a person may see. A group member's share of the log is one `periods` row
 * per membership, `from_seq` (the entry that made them a member) to
 * `until_seq` (the entry that ended it; open while they are a member). Every
 * query that asks "could this person see this entry" is built from these
 * fragments, and {@link Store.sawSeq} runs the same test for one entry.
 */

/** SQL: the period row `p` covers the entry at `seq` (an SQL expression). */
export function periodCovers(p: string, seq: string): string {
  return `(${seq} >= ${p}.from_seq AND (${p}.until_seq IS NULL OR ${seq} <= ${p}.until_seq))`;
}

/** SQL: `user` could see the entry at `seq` of group `conv` (all three SQL expressions). */
export function sawInGroup(conv: string, user: string, seq: string): string {
  return `EXISTS (SELECT 1 FROM periods p WHERE p.conv = ${conv} AND p.user_id = ${user}
    AND ${periodCovers('p', seq)})`;
}

/**
 * SQL: `user` could see the entry at `seq` of conversation `conv`, whose kind
 * is `kind`: both people see all of a direct conversation, a group's members
 * what their periods cover.
 */
export function sawEntry(kind: string, conv: string, user: string, seq: string): string {
  return `(${kind} = 'direct' OR ${sawInGroup(conv, user, seq)})`;
}
