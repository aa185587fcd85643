import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol';
import type { Accounts } from './accounts';
import type { Budgets } from './budgets';
import type { Groups } from './groups';
import type { MessageLimits } from './messageLimits';
import type { Presence } from './presence';
import type { Pushes } from './pushes';
import type { Receipts } from './receipts';
import type { Store, StreamScope } from './store';
import type { StoreWriter } from './storeWriter';

/*
 * The realtime layer's types, on their own so that the handlers
 * (realtime.ts, groupHandlers.ts) and the guards (socketGuard.ts) share
 * them without importing each other.
 */

/** Per-connection state. */
export interface SocketData {
  userId: string;
  /** The device (sign-in) this connection authenticated as. */
  deviceId: string;
  /** Protocol version the client announced (1 when it did not). */
  protocol: number;
  /** `offline:R` pages continue after this log position until `more` is false. */
  offlineCursor: number;
  /** Live confirmations since the device's cursor was last moved. */
  acksSinceCompact: number;
  /** Protocol 2+: groups, mirroring, the log fields. */
  mirror: boolean;
  /** Which messages this connection's device receives. */
  scope: StreamScope;
  /** When this connection last forwarded typing, per conversation (reset by a message). */
  typingAt?: Map<string, number>;
}

/** The typed Socket.IO server. */
export type ImIo = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
/** One typed connection. */
export type ImSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/** Dependencies of the realtime handlers. */
export interface RealtimeDeps {
  accounts: Accounts;
  store: Store;
  groups: Groups;
  receipts: Receipts;
  pushes: Pushes;
  /** Every write of the message path goes through it (its worker thread). */
  writer: StoreWriter;
  presence: Presence;
  log: Logger;
  /** Oldest protocol version accepted; default `MIN_PROTOCOL_VERSION`. */
  minProtocol?: number;
  /** Message rate and inbox quota checked before a `msg:R` is stored. */
  limits: MessageLimits;
  /** The per-user budgets of the other write paths. */
  budgets: Budgets;
  /** Requests one connection may have in flight at once (0 = no limit). */
  maxInFlight: number;
  /** Output a connection's client may leave untaken before it is closed (0 = no limit). */
  maxUnsentBytes: number;
  /** The longest a connection goes without its session checked again. */
  sessionCheckMs: number;
  /** Live connections one user may have (0 = no limit). */
  maxConnectionsPerUser: number;
}
