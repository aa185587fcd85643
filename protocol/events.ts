import type { Failure } from './errors';
import type { GroupCreate, GroupInfoA } from './groups';
import type {
  AckN,
  AckR,
  ConvListA,
  HistoryA,
  HistoryR,
  InfoA,
  MsgA,
  MsgN,
  MsgR,
  OfflineA,
  OfflineR,
  OfflineackR,
  Ok,
  PresenceN,
  ReadA,
  ReadN,
  ReadR,
  ReceiptN,
  StatusA,
  StatusR,
  TypingN,
  TypingR,
} from './schemas';

/** An acknowledgement: the event's A packet or an error. */
export type Answer<T> = T | Failure;
/** The callback a client passes as the last argument of every event. */
export type AckCallback<T> = (answer: Answer<T>) => void;

/** Events a client emits; each carries an acknowledgement callback. */
export interface ClientToServerEvents {
  'msg:R': (packet: MsgR, ack: AckCallback<MsgA>) => void;
  'ack:R': (packet: AckR, ack: AckCallback<Ok>) => void;
  'offline:R': (packet: OfflineR, ack: AckCallback<OfflineA>) => void;
  'offlineack:R': (packet: OfflineackR, ack: AckCallback<Ok>) => void;
  'conv:list': (packet: Record<string, never>, ack: AckCallback<ConvListA>) => void;
  'history:R': (packet: HistoryR, ack: AckCallback<HistoryA>) => void;
  'read:R': (packet: ReadR, ack: AckCallback<ReadA>) => void;
  'status:R': (packet: StatusR, ack: AckCallback<StatusA>) => void;
  'typing:R': (packet: TypingR, ack: AckCallback<Ok>) => void;
  'info:R': (packet: { conv: string; id: string }, ack: AckCallback<InfoA>) => void;
  /** Liveness probe: the server answers `{ok:true}` at once (the client checks a quiet link). */
  'ping:R': (packet: Record<string, never>, ack: AckCallback<Ok>) => void;
  'group:create': (packet: GroupCreate, ack: AckCallback<{ ok: true; conv: string }>) => void;
  'group:rename': (packet: { conv: string; name: string }, ack: AckCallback<GroupChangeA>) => void;
  'group:add': (packet: { conv: string; users: string[] }, ack: AckCallback<GroupChangeA>) => void;
  'group:remove': (
    packet: { conv: string; users: string[] },
    ack: AckCallback<GroupChangeA>,
  ) => void;
  'group:admin': (
    packet: { conv: string; users: string[] },
    ack: AckCallback<GroupChangeA>,
  ) => void;
  'group:leave': (packet: { conv: string }, ack: AckCallback<GroupChangeA>) => void;
  'group:info': (packet: { conv: string }, ack: AckCallback<GroupInfoA>) => void;
}

/** Answer of a membership change: the `seq` of its entry in the group's log. */
export interface GroupChangeA {
  ok: true;
  seq: number;
}

/** Events the server pushes. */
export interface ServerToClientEvents {
  /** Wire-v1 shape; protocol 2 connections get a `LogMsgN`. */
  'msg:N': (packet: MsgN) => void;
  'ack:N': (packet: AckN) => void;
  'presence:N': (packet: PresenceN) => void;
  'read:N': (packet: ReadN) => void;
  'typing:N': (packet: TypingN) => void;
  'receipt:N': (packet: ReceiptN) => void;
}

/** Names of the client → server events. */
export const CLIENT_EVENTS = [
  'msg:R',
  'ack:R',
  'offline:R',
  'offlineack:R',
  'conv:list',
  'history:R',
  'read:R',
  'status:R',
  'typing:R',
  'info:R',
  'group:create',
  'group:rename',
  'group:add',
  'group:remove',
  'group:admin',
  'group:leave',
  'group:info',
] as const;

/** The Socket.IO room every connection of one user joins. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/**
 * The room of a user's connections that speak protocol 2 or later: they
 * receive packets with the log fields (`seq`, `conv`, `state`), the
 * person's own messages sent from their other devices, and read positions.
 */
export function mirrorRoom(userId: string): string {
  return `mirror:${userId}`;
}

/** The room of a user's wire-v1 connections: they receive exactly the wire-v1 shapes. */
export function legacyRoom(userId: string): string {
  return `v1:${userId}`;
}

/** The room of one device's connections. */
export function deviceRoom(deviceId: string): string {
  return `device:${deviceId}`;
}
