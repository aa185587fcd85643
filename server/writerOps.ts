import type { ConversationId, MessageRef, MsgR } from '../protocol';
import type { Groups } from './groups';
import type { Store, StreamScope } from './store';

/** What the store writer's operations run against: its own connection. */
export interface WriterContext {
  store: Store;
  groups: Groups;
}

/** Live confirmations after which a device's cursor is moved forward (`confirm`). */
export const COMPACT_EVERY = 32;

/**
 * Every write the im-server makes on the message path, by name. They run in
 * the store writer's worker (`writerWorker.ts`), each in its own savepoint
 * of the current group-commit batch, in the order they were submitted; the
 * main thread names them (`StoreWriter.run`) and gets plain values back.
 */
export const WRITE_OPS = {
  /** `msg:R`: store once per `(sender, id)` as the next `seq` (see `Store.storeMessage`). */
  storeMessage: (w: WriterContext, sender: string, device: string, msg: MsgR, now: number) =>
    w.store.storeMessage(sender, device, msg, now),
  /** A device connected or disconnected. */
  touchDevice: (w: WriterContext, device: string, now: number) => {
    w.store.touchDevice(device, now);
    return null;
  },
  /** Moves a device's cursor over what it has confirmed. */
  compact: (w: WriterContext, scope: StreamScope) => w.store.compact(scope),
  /** `ack:R`: the device confirms one message; with `compactAfter`, its cursor moves too. */
  confirm: (
    w: WriterContext,
    scope: StreamScope,
    from: string,
    id: string,
    now: number,
    compactAfter: boolean,
  ) => {
    const confirmation = w.store.confirm(scope, from, id, now) ?? null;
    if (compactAfter) w.store.compact(scope);
    return confirmation;
  },
  /** `offlineack:R`: the device confirms a page; its cursor moves. */
  confirmMany: (w: WriterContext, scope: StreamScope, ids: MessageRef[], now: number) => {
    const list = ids.flatMap(({ from, id }) => w.store.confirm(scope, from, id, now) ?? []);
    w.store.compact(scope);
    return list;
  },
  /** `read:R`. */
  markRead: (w: WriterContext, conv: ConversationId, user: string, seq: number, now: number) =>
    w.store.markRead(conv, user, seq, now) ?? null,
  /** `group:create`. */
  groupCreate: (
    w: WriterContext,
    actor: string,
    device: string,
    name: string,
    members: string[],
    now: number,
  ) => w.groups.create(actor, device, name, members, now),
  /** `group:rename`. */
  groupRename: (
    w: WriterContext,
    conv: ConversationId,
    actor: string,
    device: string,
    name: string,
    now: number,
  ) => w.groups.rename(conv, actor, device, name, now),
  /** `group:add`, `group:remove`, `group:admin`. */
  groupMembers: (
    w: WriterContext,
    op: 'add' | 'remove' | 'promote',
    conv: ConversationId,
    actor: string,
    device: string,
    users: string[],
    now: number,
  ) => w.groups[op](conv, actor, device, users, now),
  /** `group:leave`. */
  groupLeave: (
    w: WriterContext,
    conv: ConversationId,
    actor: string,
    device: string,
    now: number,
  ) => w.groups.leave(conv, actor, device, now),
  /** The retention job's batch. */
  deleteExpired: (w: WriterContext, cutoffTs: number, batch: number) =>
    w.store.deleteExpired(cutoffTs, batch),
  /** Nothing: settles once everything submitted before it has committed. */
  barrier: () => null,
} as const;

/** The writer's operations. */
export type WriteOps = typeof WRITE_OPS;
/** The name of one operation. */
export type WriteOpName = keyof WriteOps;
/** The arguments of an operation as the main thread passes them (without the context). */
export type WriteArgs<K extends WriteOpName> =
  Parameters<WriteOps[K]> extends [WriterContext, ...infer Rest] ? Rest : [];
/** What an operation returns. */
export type WriteResult<K extends WriteOpName> = ReturnType<WriteOps[K]>;
