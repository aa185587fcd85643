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
import { Invites, newInvite } from './invites';
import type { LoginLimiter } from './loginLimiter';
import { HasherBusy, type PasswordHasher } from './passwords';
import { newResetCode, ResetCodes } from './resetCodes';
import { newSetupCode, SetupCodeCheck } from './setupCode';
import {
  checkSessionTtl,
  DEFAULT_SESSION_TTL_MS,
  hashToken,
  newToken,
  slidExpiry,
} from './sessions';
import type { DeviceRecord, Store, UserSummary } from './store';
import type { StoreWriter } from './storeWriter';
import type { Admission } from './writerOps';

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
  | 'not_found'
  | 'setup_required';

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
  /** A write nobody waits for failed (a session slide, an expired session's removal). */
  onBackgroundError?: (error: unknown) => void;
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
  private readonly onBackgroundError: (error: unknown) => void;
  /** The setup code's check while the server has no account (see {@link startSetup}). */
  private setupCheck: SetupCodeCheck | undefined;
  private readonly firstAccountListeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    /** Every write goes through it; the store's own connection only reads. */
    private readonly writer: StoreWriter,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginLimiter,
    private readonly registration: RegistrationMode,
    options: AccountsOptions = {},
  ) {
    this.ttlMs = checkSessionTtl(options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS);
    this.clock = options.clock ?? (() => Date.now());
    this.onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.invites = new Invites(store.db);
    this.resetCodes = new ResetCodes(store.db);
    for (const u of store.allUsers()) this.remember(u);
  }

  /** How long a session lasts after its last use. */
  get sessionTtlMs(): number {
    return this.ttlMs;
  }

  /**
   * True while the server has no account and registration is not `open`:
   * the first account (the admin) then needs the setup code.
   */
  get setupRequired(): boolean {
    return this.registration !== 'open' && this.directory.size === 0;
  }

  /**
   * Makes a new setup code when {@link setupRequired}, keeping only its
   * hash, and returns it (for the operator's console or the host's window);
   * undefined when no setup is needed. An earlier code stops working.
   */
  startSetup(): string | undefined {
    if (!this.setupRequired) return undefined;
    const code = newSetupCode();
    this.setupCheck = new SetupCodeCheck(code);
    return code;
  }

  /** Calls `listener` once the first account exists (at once if it already does). */
  onFirstAccount(listener: () => void): void {
    if (this.directory.size > 0) listener();
    else this.firstAccountListeners.add(listener);
  }

  /**
   * Creates an account and signs it in; `address` is rate-limited before
   * hashing. The first account of a server is its admin: unless registration
   * is `open` it needs the setup code (tries are counted per address like
   * registrations, before the code is compared). In `invite` mode every
   * later one needs a usable invite, whose use is counted in the same
   * transaction as the account is created.
   */
  async register(input: RegisterBody, address: string): Promise<AccountResult> {
    const admitted = this.admission(input, address);
    if (!admitted.ok) return admitted;
    const admission = admitted.value;
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
    const { token, device, expiresAt, now } = this.newSession(member, input.deviceName);
    let stored: { isAdmin: boolean } | 'invite_gone' | 'not_first';
    try {
      // Decided inside the writer's transaction: the first account (the admin),
      // the invite's use, and the session's device.
      stored = await this.writer.run('registerUser', [
        { id: member.userId, ...member, passwordHash },
        admission,
        device,
        hashToken(token),
        now,
        expiresAt,
      ]);
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        return refuse('username_taken');
      }
      throw error;
    }
    if (stored === 'invite_gone') return refuse('invite_required');
    // Someone else's setup won the race: this is no longer the first account.
    if (stored === 'not_first') {
      return refuse(this.registration === 'closed' ? 'registration_closed' : 'invite_required');
    }
    member.isAdmin = stored.isAdmin;
    this.directory.set(member.userId, member);
    if (stored.isAdmin) this.firstAccountCreated();
    return { ok: true, session: this.sessionOf(member, token, device.deviceId, expiresAt) };
  }

  /**
   * What lets this registration in, or why nothing will: the mode, the
   * setup code of an empty server, an invite, a free username, and the
   * address's registrations (taken here; given back if hashing never runs).
   */
  private admission(input: RegisterBody, address: string): Outcome<Admission> {
    if (this.setupRequired) {
      // Without a code, `closed` answers as it always has.
      if (input.setupCode === undefined) {
        return refuse(this.registration === 'closed' ? 'registration_closed' : 'setup_required');
      }
      const wait = this.limiter.registration(address);
      if (wait !== undefined) return refuse('rate_limited', wait);
      if (!this.setupCheck?.matches(input.setupCode)) return refuse('setup_required');
      return { ok: true, value: 'first' };
    }
    if (this.registration === 'closed') return refuse('registration_closed');
    let admission: Admission = 'open';
    if (this.registration === 'invite') {
      if (!(input.invite && this.invites.usable(input.invite, this.clock()))) {
        return refuse('invite_required');
      }
      admission = { invite: input.invite };
    }
    if (this.store.userByName(input.username)) return refuse('username_taken');
    const wait = this.limiter.registration(address);
    if (wait !== undefined) return refuse('rate_limited', wait);
    return { ok: true, value: admission };
  }

  /** The first account exists: the setup code is void, and whoever waited for it is told. */
  private firstAccountCreated(): void {
    this.setupCheck = undefined;
    const listeners = [...this.firstAccountListeners];
    this.firstAccountListeners.clear();
    for (const listener of listeners) listener();
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
    return { ok: true, session: await this.openSession(member, input.deviceName) };
  }

  /**
   * The person and device a bearer token belongs to, if its session exists,
   * has not expired and the account is not disabled. Each use moves the
   * session's expiry to now + TTL, written at most once a minute.
   */
  resolve(token: unknown): Identity | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined;
    const device = this.store.deviceByToken(hashToken(token));
    const live = device && this.liveSession(device, true);
    if (!live) return undefined;
    return {
      ...profileOf(live.member),
      isAdmin: live.member.isAdmin,
      deviceId: live.device.deviceId,
      expiresAt: live.expiresAt,
    };
  }

  /** The accounts' clock (session expiry, invites, reset codes). */
  now(): number {
    return this.clock();
  }

  /**
   * When the session of `deviceId` ends (its expiry), or undefined when it
   * has ended: expired (then deleted), revoked, or its account disabled. With
   * `used`, the person did something with it: its expiry slides as
   * {@link resolve}'s does.
   */
  sessionEnd(deviceId: string, used: boolean): number | undefined {
    const device = this.store.device(deviceId);
    return device && this.liveSession(device, used)?.expiresAt;
  }

  /**
   * One rule for a session in use: expired (deleted, not awaited) or of a
   * disabled account, it is over; otherwise, when `used`, its expiry slides
   * (written at most once a minute; a lost slide in a crash only ends it a
   * little earlier).
   */
  private liveSession(
    device: DeviceRecord,
    used: boolean,
  ): { device: DeviceRecord; member: Member; expiresAt: number } | undefined {
    const now = this.clock();
    if (device.expiresAt <= now) {
      this.background(this.writer.run('deleteDevice', [device.deviceId, device.userId]));
      return undefined;
    }
    const member = this.directory.get(device.userId);
    if (!member || member.disabled) return undefined;
    const next = used ? slidExpiry(device.expiresAt, now, this.ttlMs) : undefined;
    if (next !== undefined) {
      this.background(this.writer.run('slideSession', [device.deviceId, now, next]));
    }
    return { device, member, expiresAt: next ?? device.expiresAt };
  }

  /** Ends the session of `token` (its device is signed out); returns the device id. */
  async logout(token: string): Promise<string | undefined> {
    return (await this.writer.run('deleteDeviceByToken', [hashToken(token)])) ?? undefined;
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
  revokeSession(userId: string, deviceId: string): Promise<boolean> {
    return this.writer.run('deleteDevice', [deviceId, userId]);
  }

  /** Ends every session of the person but the current one; returns the device ids signed out. */
  revokeOthers(me: Identity): Promise<string[]> {
    return this.writer.run('deleteDevicesOf', [me.userId, me.deviceId]);
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
    const revoked = await this.writer.run('changePassword', [me.userId, hash, me.deviceId]);
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
    // Checked again by the writer: the code may have been used or replaced while hashing.
    const revoked = await this.writer.run('resetPassword', [
      user.id,
      body.code,
      hash,
      this.clock(),
    ]);
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
  async updateUser(targetId: string, patch: AdminUserPatch): Promise<Outcome<string[]>> {
    const member = this.directory.get(targetId);
    if (!member) return refuse('not_found');
    const activeAdmin = member.isAdmin && !member.disabled;
    const result = await this.writer.run('updateUser', [targetId, patch, activeAdmin]);
    if (result === 'last_admin') return refuse('last_admin');
    if (patch.admin !== undefined) member.isAdmin = patch.admin;
    if (patch.disabled !== undefined) member.disabled = patch.disabled;
    return { ok: true, value: result };
  }

  /**
   * Changes the person's own settings: display name (in the database and the
   * directory) and read receipts; false when there is no such person.
   */
  async updateMe(
    userId: string,
    patch: { readReceipts?: boolean; displayName?: string },
  ): Promise<boolean> {
    const member = this.directory.get(userId);
    if (!member) return false;
    await this.writer.run('updateMe', [userId, patch]);
    if (patch.displayName !== undefined) member.displayName = patch.displayName;
    return true;
  }

  /** Issues a one-time password-reset code for an account (replacing any earlier one). */
  async issueResetCode(targetId: string): Promise<Outcome<ResetCode>> {
    if (!this.directory.has(targetId)) return refuse('not_found');
    const code = newResetCode(this.clock());
    await this.writer.run('putResetCode', [targetId, code]);
    return { ok: true, value: code };
  }

  /** Makes an invite (admins only). */
  async createInvite(admin: Identity, body: CreateInviteBody): Promise<CreatedInvite> {
    const invite = newInvite(body, this.clock());
    await this.writer.run('insertInvite', [invite, admin.userId]);
    return invite;
  }

  /** Every invite, newest first. */
  listInvites(): Invite[] {
    return this.invites.list();
  }

  /** Revokes an invite by id or code. */
  revokeInvite(idOrCode: string): Promise<'revoked' | 'already' | 'unknown'> {
    return this.writer.run('revokeInvite', [idOrCode, this.clock()]);
  }

  // ---- internals -------------------------------------------------------------

  private remember(u: UserSummary): void {
    const { id, username, displayName, isAdmin, disabled } = u;
    this.directory.set(id, { userId: id, username, displayName, isAdmin, disabled });
  }

  /** Replaces an old-parameter hash; a busy hasher just leaves it for the next sign-in. */
  private async rehash(userId: string, password: string): Promise<void> {
    try {
      await this.writer.run('setPasswordHash', [userId, await this.hasher.hash(password)]);
    } catch (error) {
      if (!(error instanceof HasherBusy)) throw error;
    }
  }

  /** A write nobody waits for: a failure is logged, never thrown. */
  private background(write: Promise<unknown>): void {
    write.catch((error: unknown) => this.onBackgroundError(error));
  }

  /** A new session's token and device row (not stored yet). */
  private newSession(member: Member, deviceName: string | undefined) {
    const now = this.clock();
    return {
      token: newToken(),
      device: { deviceId: randomUUID(), userId: member.userId, name: deviceName ?? UNNAMED_DEVICE },
      now,
      expiresAt: now + this.ttlMs,
    };
  }

  private sessionOf(member: Member, token: string, deviceId: string, expiresAt: number): Session {
    return { ...profileOf(member), token, deviceId, expiresAt, isAdmin: member.isAdmin };
  }

  private async openSession(member: Member, deviceName: string | undefined): Promise<Session> {
    const { token, device, now, expiresAt } = this.newSession(member, deviceName);
    await this.writer.run('insertDevice', [device, hashToken(token), now, expiresAt]);
    return this.sessionOf(member, token, device.deviceId, expiresAt);
  }
}

function profileOf(m: Profile): Profile {
  return { userId: m.userId, username: m.username, displayName: m.displayName };
}
