import { z } from 'zod';

const DIRECT_ID = /^d:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,64}$/;
const GROUP_ID = /^g:[A-Za-z0-9_-]{1,64}$/;

/**
 * A conversation id. A direct conversation between two people exists
 * implicitly: its id is `d:` and the two user ids in ascending order, so both
 * sides (and the server) derive the same id without asking anyone. A group's
 * id is `g:` and an id the server made when it was created.
 */
export const conversationIdSchema = z
  .string()
  .max(140)
  .refine((s) => DIRECT_ID.test(s) || GROUP_ID.test(s), 'not a conversation id')
  .brand<'ConversationId'>();
/** A group conversation's id (`g:…`). */
export const groupIdSchema = z.string().regex(GROUP_ID).brand<'ConversationId'>();
/**
 * A conversation id. Branded, so that a user id (also a string) cannot be
 * passed where a conversation is meant.
 */
export type ConversationId = z.infer<typeof conversationIdSchema>;

/** The id of the direct conversation between `a` and `b` (order does not matter). */
export function directConversationId(a: string, b: string): ConversationId {
  return (a <= b ? `d:${a}:${b}` : `d:${b}:${a}`) as ConversationId;
}

/** True for a group conversation's id. */
export function isGroupId(id: string): boolean {
  return GROUP_ID.test(id);
}

/** A new group id. */
export function newGroupId(random: string): ConversationId {
  return `g:${random}` as ConversationId;
}

/** The other person of direct conversation `conv` as seen by `me` (`me` for a note to self). */
export function directPeer(conv: ConversationId, me: string): string | undefined {
  const [kind, a, b] = conv.split(':');
  if (kind !== 'd' || a === undefined || b === undefined) return undefined;
  if (a === me) return b;
  if (b === me) return a;
  return undefined;
}
