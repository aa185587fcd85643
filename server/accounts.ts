import { randomUUID } from 'node:crypto';
import type { LoginBody, RegisterBody, Session } from '../protocol';
import type { LoginLimiter } from './loginLimiter';
import { HasherBusy, type PasswordHasher } from './passwords';
import { hashToken, newToken } from './sessions';
import type { Store } from './store';

/** A user's public profile. */
export interface Profile {
  userId: string;
  username: string;
  displayName: string;
}

/** Why an account operation failed, named by its wire error code. */
export type AccountError =
  'username_taken' | 'registration_closed' | 'bad_credentials' | 'rate_limited' | 'unavailable';

/** The person and device a session token stands for. */
export interface Identity extends Profile {
  deviceId: string;
}

/** Who may create an account (see `ImServerOptions.registration`). */
export type RegistrationMode = 'open' | 'invite' | 'closed';

/** Name given to a device whose client did not name it. */
export const UNNAMED_DEVICE = 'Unnamed device';

/** Result of register / login. */
export type AccountResult =
  { ok: true; session: Session } | { ok: false; code: AccountError; retryAfterMs?: number };

/** The hasher's refusal as a result; anything else is rethrown. */
function busy(error: unknown): AccountResult {
  if (error instanceof HasherBusy) {
    return { ok: false, code: 'unavailable', retryAfterMs: error.retryAfterMs };
  }
  throw error;
}

/**
 * Accounts and sessions: registration, sign-in (rate-limited, hashed off the
 * event loop), token resolution. Keeps an in-memory directory of users,
 * which is small for a LAN and spares a query on every `msg:R`.
 */
export class Accounts {
  private readonly directory = new Map<string, Profile>();

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginLimiter,
    private readonly registration: RegistrationMode,
  ) {
    for (const u of store.allUsers()) {
      this.directory.set(u.id, { userId: u.id, username: u.username, displayName: u.displayName });
    }
  }

  /** Creates an account and signs it in; `address` is rate-limited before hashing. */
  async register(input: RegisterBody, address: string): Promise<AccountResult> {
    if (this.registration === 'closed') return { ok: false, code: 'registration_closed' };
    // TODO(issue 10): `invite` requires an invite once the first account exists.
    if (this.registration === 'invite' && this.directory.size > 0) {
      return { ok: false, code: 'registration_closed' };
    }
    if (this.store.userByName(input.username)) return { ok: false, code: 'username_taken' };
    const wait = this.limiter.registration(address);
    if (wait !== undefined) return { ok: false, code: 'rate_limited', retryAfterMs: wait };
    let passwordHash: string;
    try {
      passwordHash = await this.hasher.hash(input.password);
    } catch (error) {
      this.limiter.registrationUndone(address);
      return busy(error);
    }
    const profile: Profile = {
      userId: randomUUID(),
      username: input.username,
      displayName: input.displayName ?? input.username,
    };
    try {
      this.store.insertUser({ id: profile.userId, ...profile, passwordHash }, Date.now());
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        return { ok: false, code: 'username_taken' };
      }
      throw error;
    }
    this.directory.set(profile.userId, profile);
    return { ok: true, session: this.openSession(profile, input.deviceName) };
  }

  /** Signs in with username and password. */
  async login(input: LoginBody, address: string): Promise<AccountResult> {
    // Counted before hashing, in one synchronous step: concurrent guesses
    // cannot all pass the check before any of them is counted.
    const counted = this.limiter.attempt(input.username, address);
    if (!counted.ok) return { ok: false, code: 'rate_limited', retryAfterMs: counted.retryAfterMs };
    const user = this.store.userByName(input.username);
    let match: boolean;
    try {
      match = await this.hasher.verify(input.password, user?.passwordHash);
    } catch (error) {
      counted.attempt.undo();
      return busy(error);
    }
    if (!user || !match) return { ok: false, code: 'bad_credentials' };
    counted.attempt.succeeded();
    return { ok: true, session: this.openSession(this.directory.get(user.id)!, input.deviceName) };
  }

  /** The person and device a bearer token belongs to, if the session exists. */
  resolve(token: unknown): Identity | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined;
    const device = this.store.deviceByToken(hashToken(token));
    const profile = device && this.directory.get(device.userId);
    return profile && { ...profile, deviceId: device.deviceId };
  }

  /** Ends the session of `token` (its device is signed out); returns the device id. */
  logout(token: string): string | undefined {
    return this.store.deleteDeviceByToken(hashToken(token));
  }

  /** True when a user with this id exists. */
  exists(userId: string): boolean {
    return this.directory.has(userId);
  }

  /** Every user. */
  all(): Profile[] {
    return [...this.directory.values()];
  }

  private openSession(profile: Profile, deviceName: string | undefined): Session {
    const token = newToken();
    const deviceId = randomUUID();
    this.store.insertDevice(
      { deviceId, userId: profile.userId, name: deviceName ?? UNNAMED_DEVICE },
      hashToken(token),
      Date.now(),
    );
    return { ...profile, token, deviceId };
  }
}
