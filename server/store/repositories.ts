import type { MsgR } from '../../protocol';
import type {
  Confirmation,
  DeviceRecord,
  StoreResult,
  StreamPage,
  StreamScope,
  UserRecord,
} from '../store';

/**
 * Accounts and devices, as far as the PostgreSQL store has them yet: the
 * rows a conversation log needs. Each method is one transaction.
 */
export interface AccountsRepository {
  /** Adds a user; rejects when the username is taken. */
  insertUser(
    user: Omit<UserRecord, 'disabled' | 'isAdmin'> & { isAdmin?: boolean },
    now: number,
  ): Promise<void>;
  /** Records a new device (a sign-in): its cursor starts at the current end of the log. */
  insertDevice(
    device: { deviceId: string; userId: string; name: string },
    tokenHash: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<void>;
  /** One device by id. */
  device(deviceId: string): Promise<DeviceRecord | undefined>;
}

/**
 * Conversation logs and the device streams over them: where a message
 * enters a log (once per `(sender, id)`, next `seq`, next log position in
 * commit order) and how each device reads and confirms its stream. The
 * contract is `test/integration/store/logConformance.test.ts`, run against
 * every implementation.
 */
export interface LogRepository {
  /** `msg:R`: stores a message once per `(sender, id)` (see `Store.storeMessage`). */
  storeMessage(sender: string, senderDevice: string, msg: MsgR, now: number): Promise<StoreResult>;
  /** One catch-up page of a device after log position `after` (see `Store.streamPage`). */
  streamPage(
    scope: StreamScope,
    after: number,
    limit: number,
    maxBytes: number,
  ): Promise<StreamPage>;
  /** A device confirms `(sender, id)`; undefined when it may not (see `Store.confirm`). */
  confirm(
    scope: StreamScope,
    sender: string,
    id: string,
    now: number,
  ): Promise<(Confirmation & { first: boolean }) | undefined>;
  /** Moves a device's cursor over what it has confirmed; returns the cursor (see `Store.compact`). */
  compact(scope: StreamScope): Promise<number>;
}

/** A store as repositories, whatever its engine. */
export interface Repositories {
  readonly engine: 'sqlite' | 'postgresql';
  readonly accounts: AccountsRepository;
  readonly logs: LogRepository;
  /** Releases the engine's connections (and SQLite's data directory). */
  close(): Promise<void>;
}
