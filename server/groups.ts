import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  MAX_GROUP_MEMBERS,
  newGroupId,
  type ConversationId,
  type ErrorCode,
  type GroupEvent,
  type Role,
} from '../protocol';
import type { Placement, Store } from './store';

/** A system entry just appended, and who must hear of it. */
export interface GroupChange {
  conv: ConversationId;
  entry: Placement & { id: string; sender: string; body: string };
  /** Everyone who sees the entry: the members after it, and those it removed. */
  audience: string[];
}

/** Why a membership change was refused. */
export interface GroupRefusal {
  error: ErrorCode;
  message: string;
}

/** A group as `group:info` shows it. */
export interface GroupInfo {
  name: string;
  members: { userId: string; role: Role }[];
}

function refuse(error: ErrorCode, message: string): GroupRefusal {
  return { error, message };
}

/**
 * Groups: creation and every membership change, each appended to the
 * group's log as a system entry in the same transaction as the change, so
 * that every device replays them in order and a message stored at `seq` is
 * for exactly the members at `seq`. Every rule is checked here: only
 * members act, only admins add, remove, promote and rename. Methods must run
 * inside the group commit.
 */
export class Groups {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly store: Store,
  ) {
    this.stmts = {
      createConversation: db.prepare(
        `INSERT INTO conversations (conv, kind, last_seq, created_at, name, created_by)
         VALUES (?, 'group', 0, ?, ?, ?)`,
      ),
      rename: db.prepare("UPDATE conversations SET name = ? WHERE conv = ? AND kind = 'group'"),
      name: db.prepare("SELECT name FROM conversations WHERE conv = ? AND kind = 'group'").pluck(),
      member: db.prepare(
        'SELECT role, left_seq AS leftSeq FROM members WHERE conv = ? AND user_id = ?',
      ),
      join: db.prepare(
        `INSERT INTO members (conv, user_id, read_seq, role, joined_seq, left_seq)
         VALUES (:conv, :user, :seq, :role, :seq, NULL)
         ON CONFLICT (conv, user_id) DO UPDATE SET role = :role, joined_seq = :seq, left_seq = NULL`,
      ),
      openPeriod: db.prepare(
        'INSERT INTO periods (conv, user_id, from_seq, until_seq) VALUES (?, ?, ?, NULL)',
      ),
      // A former member keeps the name the group had when they left.
      leave: db.prepare(
        `UPDATE members SET left_seq = ?, role = 'member',
           left_name = (SELECT name FROM conversations c WHERE c.conv = members.conv)
         WHERE conv = ? AND user_id = ? AND left_seq IS NULL`,
      ),
      closePeriod: db.prepare(
        'UPDATE periods SET until_seq = ? WHERE conv = ? AND user_id = ? AND until_seq IS NULL',
      ),
      promote: db.prepare("UPDATE members SET role = 'admin' WHERE conv = ? AND user_id = ?"),
      roster: db.prepare(
        `SELECT user_id AS userId, role FROM members WHERE conv = ? AND left_seq IS NULL
         ORDER BY joined_seq, role = 'admin' DESC, user_id`,
      ),
    };
  }

  /** Creates a group of `actor` (its first admin) and `others`. */
  create(
    actor: string,
    device: string,
    name: string,
    others: string[],
    now: number,
  ): GroupChange | GroupRefusal {
    const users = [actor, ...new Set(others.filter((u) => u !== actor))];
    if (users.length > MAX_GROUP_MEMBERS) {
      return refuse('too_large', `a group has at most ${MAX_GROUP_MEMBERS} members`);
    }
    const conv = newGroupId(randomUUID());
    this.stmts.createConversation.run(conv, now, name, actor);
    const entry = this.append(conv, actor, device, { type: 'created', name, users }, now);
    for (const user of users) {
      this.stmts.join.run({
        conv,
        user,
        seq: entry.seq,
        role: user === actor ? 'admin' : 'member',
      });
      this.stmts.openPeriod.run(conv, user, entry.seq);
    }
    return { conv, entry, audience: users };
  }

  /** Renames a group (admins). */
  rename(conv: ConversationId, actor: string, device: string, name: string, now: number) {
    const denied = this.mustBeAdmin(conv, actor);
    if (denied) return denied;
    this.stmts.rename.run(name, conv);
    return this.announce(conv, actor, device, { type: 'renamed', name }, now, []);
  }

  /** Adds people (admins); each sees the group's log from this entry on. */
  add(conv: ConversationId, actor: string, device: string, users: string[], now: number) {
    const denied = this.mustBeAdmin(conv, actor);
    if (denied) return denied;
    const current = new Set(this.store.currentMembers(conv));
    const joining = [...new Set(users)].filter((u) => !current.has(u));
    if (joining.length === 0) return refuse('invalid_input', 'already members');
    if (current.size + joining.length > MAX_GROUP_MEMBERS) {
      return refuse('too_large', `a group has at most ${MAX_GROUP_MEMBERS} members`);
    }
    const entry = this.append(conv, actor, device, { type: 'added', users: joining }, now);
    for (const user of joining) {
      this.stmts.join.run({ conv, user, seq: entry.seq, role: 'member' });
      this.stmts.openPeriod.run(conv, user, entry.seq);
    }
    return { conv, entry, audience: [...current, ...joining] };
  }

  /** Removes people (admins); they keep what they had, and see their removal. */
  remove(conv: ConversationId, actor: string, device: string, users: string[], now: number) {
    const denied = this.mustBeAdmin(conv, actor);
    if (denied) return denied;
    const current = new Set(this.store.currentMembers(conv));
    const leaving = [...new Set(users)].filter((u) => current.has(u) && u !== actor);
    if (leaving.length === 0) return refuse('invalid_input', 'not members (leave to go yourself)');
    const entry = this.append(conv, actor, device, { type: 'removed', users: leaving }, now);
    for (const user of leaving) this.end(conv, user, entry.seq);
    return { conv, entry, audience: [...current] };
  }

  /** Makes members admins (admins). */
  promote(conv: ConversationId, actor: string, device: string, users: string[], now: number) {
    const denied = this.mustBeAdmin(conv, actor);
    if (denied) return denied;
    const roster = this.stmts.roster.all(conv) as { userId: string; role: Role }[];
    const members = new Set(roster.filter((m) => m.role === 'member').map((m) => m.userId));
    const rising = [...new Set(users)].filter((u) => members.has(u));
    if (rising.length === 0) return refuse('invalid_input', 'not members, or already admins');
    for (const user of rising) this.stmts.promote.run(conv, user);
    return this.announce(conv, actor, device, { type: 'admin', users: rising }, now, []);
  }

  /**
   * `actor` leaves. The last admin leaving hands the role to the member who
   * joined earliest, so that a group always has an admin while it has members.
   */
  leave(conv: ConversationId, actor: string, device: string, now: number) {
    const me = this.stmts.member.get(conv, actor) as
      { role: Role; leftSeq: number | null } | undefined;
    if (!me || me.leftSeq !== null) return refuse('not_found', 'no such group');
    const entry = this.append(conv, actor, device, { type: 'left' }, now);
    this.end(conv, actor, entry.seq);
    const roster = this.stmts.roster.all(conv) as { userId: string; role: Role }[];
    const audience = [...roster.map((m) => m.userId), actor];
    if (me.role === 'admin' && roster.length > 0 && !roster.some((m) => m.role === 'admin')) {
      const heir = roster[0]!.userId;
      this.stmts.promote.run(conv, heir);
      this.append(conv, actor, device, { type: 'admin', users: [heir] }, now);
    }
    return { conv, entry, audience };
  }

  /** The group's name and members, for a member; undefined for anyone else. */
  info(conv: ConversationId, user: string): GroupInfo | undefined {
    if (!this.store.isCurrentMember(conv, user)) return undefined;
    return {
      name: (this.stmts.name.get(conv) as string | undefined) ?? '',
      members: this.stmts.roster.all(conv) as { userId: string; role: Role }[],
    };
  }

  private mustBeAdmin(conv: ConversationId, actor: string): GroupRefusal | undefined {
    const me = this.stmts.member.get(conv, actor) as
      { role: Role; leftSeq: number | null } | undefined;
    // A non-member learns nothing, not even that the group exists.
    if (!me || me.leftSeq !== null) return refuse('not_found', 'no such group');
    if (me.role !== 'admin') return refuse('forbidden', 'only admins may do that');
    return undefined;
  }

  private end(conv: ConversationId, user: string, seq: number): void {
    this.stmts.leave.run(seq, conv, user);
    this.stmts.closePeriod.run(seq, conv, user);
  }

  private append(
    conv: ConversationId,
    actor: string,
    device: string,
    event: GroupEvent,
    now: number,
  ): GroupChange['entry'] {
    const body = JSON.stringify(event);
    return { ...this.store.appendSystem(conv, actor, device, body, now), sender: actor, body };
  }

  private announce(
    conv: ConversationId,
    actor: string,
    device: string,
    event: GroupEvent,
    now: number,
    extra: string[],
  ): GroupChange {
    const entry = this.append(conv, actor, device, event, now);
    return { conv, entry, audience: [...this.store.currentMembers(conv), ...extra] };
  }
}
