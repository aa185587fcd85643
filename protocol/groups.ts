import { z } from 'zod';
import { conversationIdSchema } from './conversations';
import { MAX_GROUP_MEMBERS, MAX_GROUP_NAME } from './limits';
import { visibleNameSchema } from './names';

const userId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

/** A group's name: the rules of display names (NFC, no control, bidi or zero-width characters). */
export const groupNameSchema = visibleNameSchema(1, MAX_GROUP_NAME);
/** A group name inside a stored system entry: entries written before the rules above still replay. */
const eventNameSchema = z.string().min(1).max(MAX_GROUP_NAME);

/** A member's role in a group. */
export const roleSchema = z.enum(['admin', 'member']);
/** A member's role in a group. */
export type Role = z.infer<typeof roleSchema>;

/**
 * A membership change, as the body of a system entry of the group's log
 * (its author is the entry's `from`): every device replays them in order.
 */
export const groupEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('created'), name: eventNameSchema, users: z.array(userId) }),
  z.object({ type: z.literal('renamed'), name: eventNameSchema }),
  z.object({ type: z.literal('added'), users: z.array(userId) }),
  z.object({ type: z.literal('removed'), users: z.array(userId) }),
  z.object({ type: z.literal('left') }),
  z.object({ type: z.literal('admin'), users: z.array(userId) }),
]);
/** A membership change. */
export type GroupEvent = z.infer<typeof groupEventSchema>;

/** Parses a system entry's body; undefined when it is not a group event. */
export function parseGroupEvent(body: string): GroupEvent | undefined {
  try {
    const parsed = groupEventSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const otherUsers = z.array(userId).min(1).max(MAX_GROUP_MEMBERS);

/** `group:create`: a new group; the creator is its first member and admin. */
export const groupCreateSchema = z.object({
  name: groupNameSchema,
  members: z.array(userId).max(MAX_GROUP_MEMBERS - 1),
});
/** `group:create` payload. */
export type GroupCreate = z.infer<typeof groupCreateSchema>;

/** `group:rename` (admins). */
export const groupRenameSchema = z.object({ conv: conversationIdSchema, name: groupNameSchema });
/** `group:add` (admins). */
export const groupAddSchema = z.object({ conv: conversationIdSchema, users: otherUsers });
/** `group:remove` (admins). */
export const groupRemoveSchema = z.object({ conv: conversationIdSchema, users: otherUsers });
/** `group:admin`: make members admins (admins). */
export const groupAdminSchema = z.object({ conv: conversationIdSchema, users: otherUsers });
/** `group:leave` and `group:info`: members only. */
export const groupConvSchema = z.object({ conv: conversationIdSchema });

/** Answer of `group:create`. */
export const groupCreateASchema = z.object({ ok: z.literal(true), conv: conversationIdSchema });
/** Answer of a membership change: the `seq` of its entry in the log. */
export const groupChangeASchema = z.object({ ok: z.literal(true), seq: z.number().int() });

/** One member of a group. */
export const groupMemberSchema = z.object({ userId, role: roleSchema });
/** Answer of `group:info`. */
export const groupInfoASchema = z.object({
  ok: z.literal(true),
  conv: conversationIdSchema,
  name: z.string(),
  members: z.array(groupMemberSchema),
});
/** Answer of `group:info`. */
export type GroupInfoA = z.infer<typeof groupInfoASchema>;
