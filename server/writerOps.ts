import type {
  AdminUserPatch,
  CreatedInvite,
  ConversationId,
  MessageRef,
  MsgR,
  ResetCode,
} from '../protocol';
import type { Groups } from './groups';
import type { Invites } from './invites';
import type { ResetCodes } from './resetCodes';
import type { Store, StreamScope } from './store';

/** What the store writer's operations run against: its own connection. */
export interface WriterContext {
  store: Store;
  groups: Groups;
  invites: Invites;
  resetCodes: ResetCodes;
}

/** A new account as the writer stores it (the hash made on the main thread, off the event loop). */
export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
}

/** A new session's device row. */
export interface NewDevice {
  deviceId: string;
  userId: string;
  name: string;
}

/**
 * What lets a registration in: `open` registration, the setup code of an
 * empty server (`first`: the first account only), or an invite.
 */
export type Admission = 'open' | 'first' | { invite: string };

/** A token hash as it crosses threads (a Buffer arrives as a plain Uint8Array). */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** WAL pages after which the writer's commit checkpoints (about 40 MB; SQLite's default is 1,000). */
export const WAL_CHECKPOINT_PAGES = 10_000;

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
  /**
   * Creates an account, and its first session's device, in one transaction.
   * The first account is the admin. `first` (the setup code was right) may
   * create only that one: once an account exists nothing is stored
   * (`not_first`); an invite's use is counted here or nothing is stored
   * (`invite_gone`). A taken username throws SQLite's constraint error.
   */
  registerUser: (
    w: WriterContext,
    user: NewUser,
    admission: Admission,
    device: NewDevice,
    tokenHash: Uint8Array,
    now: number,
    expiresAt: number,
  ): { isAdmin: boolean } | 'invite_gone' | 'not_first' => {
    const isAdmin = w.store.userCount() === 0;
    if (admission === 'first' && !isAdmin) return 'not_first';
    if (typeof admission === 'object' && !w.invites.consume(admission.invite, now)) {
      return 'invite_gone';
    }
    w.store.insertUser({ ...user, isAdmin }, now);
    w.store.insertDevice(device, asBuffer(tokenHash), now, expiresAt);
    return { isAdmin };
  },
  /** A sign-in: its device (session) row. */
  insertDevice: (
    w: WriterContext,
    device: NewDevice,
    tokenHash: Uint8Array,
    now: number,
    expiresAt: number,
  ) => {
    w.store.insertDevice(device, asBuffer(tokenHash), now, expiresAt);
    return null;
  },
  /** A session was used: it now ends at `expiresAt`. */
  slideSession: (w: WriterContext, deviceId: string, now: number, expiresAt: number) => {
    w.store.slideSession(deviceId, now, expiresAt);
    return null;
  },
  /** Signs one device of `userId` out; false when there was none. */
  deleteDevice: (w: WriterContext, deviceId: string, userId: string) =>
    w.store.deleteDevice(deviceId, userId),
  /** Renames a device of `userId`; false when there is no such device. */
  renameDevice: (w: WriterContext, deviceId: string, userId: string, name: string) =>
    w.store.renameDevice(deviceId, userId, name),
  /** Signs out the device of a token; its id. */
  deleteDeviceByToken: (w: WriterContext, tokenHash: Uint8Array) =>
    w.store.deleteDeviceByToken(asBuffer(tokenHash)) ?? null,
  /** Signs out every device of `userId` but `keep`; their ids. */
  deleteDevicesOf: (w: WriterContext, userId: string, keep: string | null) =>
    w.store.deleteDevicesOf(userId, keep ?? undefined),
  /** A new password hash (a sign-in upgraded an old one). */
  setPasswordHash: (w: WriterContext, userId: string, hash: string) => {
    w.store.setPasswordHash(userId, hash);
    return null;
  },
  /** A password change: the new hash, no reset code, every other session ended (their ids). */
  changePassword: (w: WriterContext, userId: string, hash: string, keepDevice: string) => {
    w.store.setPasswordHash(userId, hash);
    w.resetCodes.remove(userId);
    return w.store.deleteDevicesOf(userId, keepDevice);
  },
  /**
   * A reset with a one-time code, checked again here (it may have been used
   * or replaced meanwhile): the code used up, the new hash, every session
   * ended (their ids); null when the code no longer matches.
   */
  resetPassword: (w: WriterContext, userId: string, code: string, hash: string, now: number) => {
    if (!w.resetCodes.matches(userId, code, now)) return null;
    w.resetCodes.remove(userId);
    w.store.setPasswordHash(userId, hash);
    return w.store.deleteDevicesOf(userId);
  },
  /**
   * An admin's change of an account. The last active admin can neither lose
   * admin nor be disabled (`last_admin`); disabling ends its sessions (their ids).
   */
  updateUser: (w: WriterContext, userId: string, patch: AdminUserPatch, activeAdmin: boolean) => {
    const demotes = patch.admin === false || patch.disabled === true;
    if (demotes && activeAdmin && w.store.adminCount() <= 1) return 'last_admin' as const;
    if (patch.admin !== undefined) w.store.setAdmin(userId, patch.admin);
    if (patch.disabled !== undefined) w.store.setDisabled(userId, patch.disabled);
    return patch.disabled ? w.store.deleteDevicesOf(userId) : [];
  },
  /** The person's own settings (`PATCH /api/me`). */
  updateMe: (
    w: WriterContext,
    userId: string,
    patch: { readReceipts?: boolean; displayName?: string },
  ) => {
    if (patch.readReceipts !== undefined) w.store.setReadReceipts(userId, patch.readReceipts);
    if (patch.displayName !== undefined) w.store.setDisplayName(userId, patch.displayName);
    return null;
  },
  /** A new one-time reset code of `userId` (replacing any earlier one). */
  putResetCode: (w: WriterContext, userId: string, code: ResetCode) => {
    w.resetCodes.put(userId, code);
    return null;
  },
  /** A new invite (its code only as a hash). */
  insertInvite: (w: WriterContext, invite: CreatedInvite, createdBy: string) => {
    w.invites.insert(invite, createdBy);
    return null;
  },
  /** Revokes an invite by id or code. */
  revokeInvite: (w: WriterContext, idOrCode: string, now: number) =>
    w.invites.revoke(idOrCode, now),
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
