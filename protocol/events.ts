import type { Failure } from './errors';
import type {
  AckN,
  AckR,
  MsgA,
  MsgN,
  MsgR,
  OfflineA,
  OfflineR,
  OfflineackR,
  Ok,
  PresenceN,
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
}

/** Events the server pushes. */
export interface ServerToClientEvents {
  'msg:N': (packet: MsgN) => void;
  'ack:N': (packet: AckN) => void;
  'presence:N': (packet: PresenceN) => void;
}

/** Names of the client → server events. */
export const CLIENT_EVENTS = ['msg:R', 'ack:R', 'offline:R', 'offlineack:R'] as const;

/** The Socket.IO room every connection of one user joins. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}
