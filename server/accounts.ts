import { randomUUID } from 'node:crypto';
import type {
  AdminUserPatch,
  CreateInviteBody,
  CreatedInvite,
  Invite,
  LoginBody,
  PasswordChangeBody,
  PasswordResetBody,
  RegisterBody,
  ResetCode,
  Session,
} from '../protocol';
import { Invites } from './invites';
import type { LoginLimiter } from './loginLimiter';
import { HasherBusy, type PasswordHasher } from './passwords';
import { ResetCodes } from './resetCodes';
import {
  checkSessionTtl,
  DEFAULT_SESSION_TTL_MS,
  hashToken,
  newToken,
  slidExpiry,
} from './sessions';
import type { DeviceRecord, Store, UserSummary } from './store';

/** A user's public profile. */
export interface Profile {
  userId: string;
  username: string;
  displayName: string;
}

/** A profile with the account's flags, as the directory keeps it. */
interface Member extends Profile {
  isAdmin: boolean;
  disabled: boolean;
}

/** Why an account operation failed, named by its wire error code. */
export type AccountError =
  | 'username_taken'
  | 'registration_closed'
  | 'bad_credentials'
  | 'rate_limited'
  | 'unavailable'
  | 'invite_required'
  | 'account_disabled'
  | 'last_admin'
  | 'invalid_code'
  | 'not_found';

/** The person and device a session token stands for. */
export interface Identity extends Profile {
  deviceId: string;
  isAdmin: boolean;
  /** When the session ends unless used again. */
  expiresAt: number;
}

/** Who may create an account (see `ImServerOptions.registration`). */
export type RegistrationMode = 'open' | 'invite' | 'closed';

/** Name given to a device whose client did not name it. */
export const UNNAMED_DEVICE = 'Unnamed device';

/** A refusal, named by its wire error code. */
export interface Refusal {
  ok: false;
  code: AccountError;
  retryAfterMs?: number;
}

/** The outcome of an account operation. */
export type Outcome<T> = { ok: true; value: T } | Refusal;

/** Result of register / login. */
export type AccountResult = { ok: true; session: Session } | Refusal;

/** How {@link Accounts} runs. */
export interface AccountsOptions {
  /** How long a session lasts after its last use (default 30 days, at most 90). */
  sessionTtlMs?: number;
  /** The clock of session expiry, invites and reset codes (default `Date.now`). */
  clock?: () => number;
}

/** The hasher's refusal as a result; anything else is rethrown. */
function busy(error: unknown): Refusal {
  if (error instanceof HasherBusy) {
    return { ok: false, code: 'unavailable', retryAfterMs: error.retryAfterMs };
  }
  throw error;
}

function refuse(code: AccountError, retryAfterMs?: number): Refusal {
  return retryAfterMs === undefined ? { ok: false, code } : { ok: false, code, retryAfterMs };
}

/** Thrown inside the registration transaction when the invite is no longer usable. */
class InviteGone extends Error {}

/**
 * Accounts and sessions: registration (open, by invite, closed), sign-in
 * (rate-limited, hashed off the event loop), sessions that expire (sliding),
 * admins, disabled accounts, password change and reset. Keeps an in-memory
 * directory of users, which is small for a LAN and spares a query on every
 * `msg:R`.
 */
export class Accounts {
  private readonly directory = new Map<string, Member>();
  private readonly invites: Invites;
  private readonly resetCodes: ResetCodes;
  private readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginLimiter,
    private readonly registration: RegistrationMode,
    options: AccountsOptions = {},
  ) {
    this.ttlMs = checkSessionTtl(options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS);
    this.clock = options.clock ?? (() => Date.now());
    this.invites = new Invites(store.db);
    this.resetCodes = new ResetCodes(store.db);
    for (const u of store.allUsers()) this.remember(u);
  }

  /** How long a session lasts after its last use. */
  get sessionTtlMs(): number {
    return this.ttlMs;
  }

  /**
   * Creates an account and signs it in; `address` is rate-limited before
   * hashing. The first account of a server is its admin and needs no invite;
   * in `invite` mode every later one needs a usable invite, whose use is
   * counted in the same transaction as the account is created.
   */
  async register(input: RegisterBody, address: string): Promise<AccountResult> {
    if (this.registration === 'closed') return refuse('registration_closed');
    const needsInvite = this.registration === 'invite' && this.directory.size > 0;
    if (needsInvite && !(input.invite && this.invites.usable(input.invite, this.clock()))) {
      return refuse('invite_required');
    }
    if (this.store.userByName(input.username)) return refuse('username_taken');
    const wait = this.limiter.registration(address);
    if (wait !== undefined) return refuse('rate_limited', wait);
    let passwordHash: string;
    try {
      passwordHash = await this.hasher.hash(input.password);
    } catch (error) {
      this.limiter.registrationUndone(address);
      return busy(error);
    }
    const member: Member = {
      userId: randomUUID(),
      username: input.username,
      displayName: input.displayName ?? input.username,
      isAdmin: false,
      disabled: false,
    };
    try {
      this.store.db.transaction(() => {
        const now = this.clock();
        member.isAdmin = this.store.userCount() === 0;
        if (this.registration === 'invite' && !member.isAdmin) {
          if (!input.invite || !this.invites.consume(input.invite, now)) throw new InviteGone();
        }
        this.store.insertUser({ id: member.userId, ...member, passwordHash }, now);
      })();
    } catch (error) {
      if (error instanceof InviteGone) return refuse('invite_required');
      if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        return refuse('username_taken');
      }
      throw error;
    }
    this.directory.set(member.userId, member);
    return { ok: true, session: this.openSession(member, input.deviceName) };
  }

  /**
   * Signs in with username and password. A disabled account is refused only
   * after the password matched (so guessing learns nothing); a hash made with
   * older scrypt parameters is replaced by one with the current ones.
   */
  async login(input: LoginBody, address: string): Promise<AccountResult> {
    // Counted before hashing, in one synchronous step: concurrent guesses
    // cannot all pass the check before any of them is counted.
    const counted = this.limiter.attempt(input.username, address);
    if (!counted.ok) return refuse('rate_limited', counted.retryAfterMs);
    const user = this.store.userByName(input.username);
    let match: boolean;
    try {
      match = await this.hasher.verify(input.password, user?.passwordHash);
    } catch (error) {
      counted.attempt.undo();
      return busy(error);
    }
    if (!user || !match) return refuse('bad_credentials');
    counted.attempt.succeeded();
    const member = this.directory.get(user.id);
    if (!member || member.disabled) return refuse('account_disabled');
    if (this.hasher.needsRehash(user.passwordHash)) await this.rehash(user.id, input.password);
    return { ok: true, session: this.openSession(member, input.deviceName) };
  }

  /**
   * The person and device a bearer token belongs to, if its session exists,
   * has not expired and the account is not disabled. Each use moves the
   * session's expiry to now + TTL, written at most once a minute.
   */
  resolve(token: unknown): Identity | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined;
    const device = this.store.deviceByToken(hashToken(token));
    if (!device) return undefined;
    const now = this.clock();
    if (device.expiresAt <= now) {
      this.store.deleteDevice(device.deviceId, device.userId);
      return undefined;
    }
    const member = this.directory.get(device.userId);
    if (!member || member.disabled) return undefined;
    const next = slidExpiry(device.expiresAt, now, this.ttlMs);
    if (next !== undefined) this.store.slideSession(device.deviceId, now, next);
    return {
      ...profileOf(member),
      isAdmin: member.isAdmin,
      deviceId: device.deviceId,
      expiresAt: next ?? device.expiresAt,
    };
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
    return [...this.directory.values()].map(profileOf);
  }

  // ---- sessions -------------------------------------------------------------

  /** The person's sessions that have not expired, oldest first. */
  sessions(userId: string): DeviceRecord[] {
    const now = this.clock();
    return this.store.devicesOf(userId).filter((d) => d.expiresAt > now);
  }

  /** Ends one of the person's sessions; false when they have no such session. */
  revokeSession(userId: string, deviceId: string): boolean {
    return this.store.deleteDevice(deviceId, userId);
  }

  /** Ends every session of the person but the current one; returns the device ids signed out. */
  revokeOthers(me: Identity): string[] {
    return this.store.deleteDevicesOf(me.userId, me.deviceId);
  }

  /**
   * Changes the person's password after checking the current one (counted by
   * the sign-in limiter like a sign-in); every other session ends. Returns
   * the device ids signed out.
   */
  async changePassword(
    me: Identity,
    body: PasswordChangeBody,
    address: string,
  ): Promise<Outcome<string[]>> {
    const counted = this.limiter.attempt(me.username, address);
    if (!counted.ok) return refuse('rate_limited', counted.retryAfterMs);
    const user = this.store.userById(me.userId);
    let hash: string;
    try {
      if (!(await this.hasher.verify(body.currentPassword, user?.passwordHash))) {
        return refuse('bad_credentials');
      }
      counted.attempt.succeeded();
      hash = await this.hasher.hash(body.newPassword);
    } catch (error) {
      counted.attempt.undo();
      return busy(error);
    }
    const revoked = this.store.db.transaction(() => {
      this.store.setPasswordHash(me.userId, hash);
      this.resetCodes.remove(me.userId);
      return this.store.deleteDevicesOf(me.userId, me.deviceId);
    })();
    return { ok: true, value: revoked };
  }

  /**
   * Sets a new password with a one-time code an admin issued; the code is
   * used up and every session of the person ends. Returns the device ids
   * signed out.
   */
  async resetPassword(body: PasswordResetBody, address: string): Promise<Outcome<string[]>> {
    const counted = this.limiter.attempt(body.username, address);
    if (!counted.ok) return refuse('rate_limited', counted.retryAfterMs);
    const user = this.store.userByName(body.username);
    if (!user || !this.resetCodes.matches(user.id, body.code, this.clock())) {
      return refuse('invalid_code');
    }
    let hash: string;
    try {
      hash = await this.hasher.hash(body.newPassword);
    } catch (error) {
      counted.attempt.undo();
      return busy(error);
    }
    // Checked again: the code may have been used or replaced while hashing.
    const revoked = this.store.db.transaction(() => {
      if (!this.resetCodes.matches(user.id, body.code, this.clock())) return undefined;
      this.resetCodes.remove(user.id);
      this.store.setPasswordHash(user.id, hash);
      return this.store.deleteDevicesOf(user.id);
    })();
    if (!revoked) return refuse('invalid_code');
    counted.attempt.succeeded();
    return { ok: true, value: revoked };
  }

  // ---- admin ----------------------------------------------------------------

  /** Every account with its flags (admins only). */
  users(): UserSummary[] {
    return this.store.allUsers();
  }

  /**
   * Disables or enables an account and makes it an admin or not. The last
   * active admin can neither lose admin nor be disabled (`last_admin`).
   * Disabling ends every session of the account; returns the device ids
   * signed out.
   */
  updateUser(targetId: string, patch: AdminUserPatch): Outcome<string[]> {
    const member = this.directory.get(targetId);
    if (!member) return refuse('not_found');
    const result = this.store.db.transaction((): Outcome<string[]> => {
      const demotes = patch.admin === false || patch.disabled === true;
      if (demotes && member.isAdmin && !member.disabled && this.store.adminCount() <= 1) {
        return refuse('last_admin');
      }
      if (patch.admin !== undefined) this.store.setAdmin(targetId, patch.admin);
      if (patch.disabled !== undefined) this.store.setDisabled(targetId, patch.disabled);
      return { ok: true, value: patch.disabled ? this.store.deleteDevicesOf(targetId) : [] };
    })();
    if (result.ok) {
      if (patch.admin !== undefined) member.isAdmin = patch.admin;
      if (patch.disabled !== undefined) member.disabled = patch.disabled;
    }
    return result;
  }

  /** Changes a person's display name in the database and in the directory. */
  rename(userId: string, displayName: string): boolean {
    const member = this.directory.get(userId);
    if (!member) return false;
    this.store.setDisplayName(userId, displayName);
    member.displayName = displayName;
    return true;
  }

  /** Issues a one-time password-reset code for an account (replacing any earlier one). */
  issueResetCode(targetId: string): Outcome<ResetCode> {
    if (!this.directory.has(targetId)) return refuse('not_found');
    return { ok: true, value: this.resetCodes.issue(targetId, this.clock()) };
  }

  /** Makes an invite (admins only). */
  createInvite(admin: Identity, body: CreateInviteBody): CreatedInvite {
    return this.invites.create(admin.userId, body, this.clock());
  }

  /** Every invite, newest first. */
  listInvites(): Invite[] {
    return this.invites.list();
  }

  /** Revokes an invite by id or code. */
  revokeInvite(idOrCode: string): 'revoked' | 'already' | 'unknown' {
    return this.invites.revoke(idOrCode, this.clock());
  }

  // ---- internals -------------------------------------------------------------

  private remember(u: UserSummary): void {
    const { id, username, displayName, isAdmin, disabled } = u;
    this.directory.set(id, { userId: id, username, displayName, isAdmin, disabled });
  }

  /** Replaces an old-parameter hash; a busy hasher just leaves it for the next sign-in. */
  private async rehash(userId: string, password: string): Promise<void> {
    try {
      this.store.setPasswordHash(userId, await this.hasher.hash(password));
    } catch (error) {
      if (!(error instanceof HasherBusy)) throw error;
    }
  }

  private openSession(member: Member, deviceName: string | undefined): Session {
    const token = newToken();
    const deviceId = randomUUID();
    const now = this.clock();
    const expiresAt = now + this.ttlMs;
    this.store.insertDevice(
      { deviceId, userId: member.userId, name: deviceName ?? UNNAMED_DEVICE },
      hashToken(token),
      now,
      expiresAt,
    );
    return { ...profileOf(member), token, deviceId, expiresAt, isAdmin: member.isAdmin };
  }
}

function profileOf(m: Profile): Profile {
  return { userId: m.userId, username: m.username, displayName: m.displayName };
}
