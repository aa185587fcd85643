import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, fetchSetupStatus, login, logout, register } from '../../../client/api';
import { setupCodeSchema, usernameSchema, type Session } from '../../../protocol';
import { desktopBridge } from '../desktop/desktop';
import { describeDevice } from '../lib/deviceName';
import { inviteCodeFrom } from '../lib/invites';
import { readStored, writeStored } from '../lib/persist';

/** Why signing in did not work: a known code (translated by the view) and the server's text. */
export interface AuthError {
  code: string;
  message: string;
  /** With `rate_limited` and `unavailable`: how long the server asked to wait. */
  retryAfterMs?: number;
}

const sessionKey = (serverUrl: string) => `tickline.session:${serverUrl}`;
/** Set once someone has signed in to this server here: the sign-in view then says "Welcome back". */
const returningKey = (serverUrl: string) => `tickline.returning:${serverUrl}`;

function toAuthError(error: unknown): AuthError {
  if (error instanceof ApiError) {
    const { code, message, retryAfterMs } = error;
    return retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs };
  }
  return { code: 'generic', message: error instanceof Error ? error.message : String(error) };
}

/**
 * The signed-in session of one server. The token is kept in localStorage
 * (per server), so a session survives reloads and restarts until the user
 * signs out or the server rejects it.
 */
export const useSessionStore = defineStore('session', () => {
  const serverUrl = ref<string | null>(null);
  const session = ref<Session | null>(null);
  const busy = ref(false);
  const error = ref<AuthError | null>(null);
  /** Set when the server ended the session (shown on the sign-in view). */
  const expired = ref(false);
  /** Someone has signed in to this server on this device before. */
  const returning = ref(false);
  /** The server has no account yet: the first one (its admin) needs the setup code. */
  const setupRequired = ref(false);

  /** The server and token to call the HTTP API with, while signed in. */
  function credentials(): { url: string; token: string } | undefined {
    const url = serverUrl.value;
    const token = session.value?.token;
    return url && token ? { url, token } : undefined;
  }

  /** The person changed their display name: the saved session follows. */
  function setDisplayName(displayName: string): void {
    if (session.value) save({ ...session.value, displayName });
  }

  /** Loads the saved session of `url`. */
  function load(url: string | null): void {
    serverUrl.value = url;
    session.value = url ? (readStored<Session>(sessionKey(url)) ?? null) : null;
    returning.value = url !== null && readStored<boolean>(returningKey(url)) === true;
    error.value = null;
    setupRequired.value = false;
  }

  /**
   * Asks the server whether it still needs its setup code; a server that
   * cannot tell (unreachable, or older) is taken not to.
   */
  async function checkSetup(): Promise<void> {
    const url = serverUrl.value;
    if (!url) return;
    try {
      const status = await fetchSetupStatus(url);
      if (serverUrl.value === url) setupRequired.value = status.setupRequired;
    } catch {
      // The sign-up's answer (`setup_required`) shows the field as well.
    }
  }

  function save(value: Session | null): void {
    session.value = value;
    if (!serverUrl.value) return;
    writeStored(sessionKey(serverUrl.value), value ?? undefined);
    if (value) {
      returning.value = true;
      writeStored(returningKey(serverUrl.value), true);
    }
  }

  function validate(username: string, password: string, setupCode?: string): AuthError | null {
    if (!usernameSchema.safeParse(username).success)
      return { code: 'invalid_username', message: '' };
    if (password.length < 8 || password.length > 256)
      return { code: 'invalid_password', message: '' };
    if (setupCode !== undefined && !setupCodeSchema.safeParse(setupCode).success) {
      return { code: 'invalid_setup_code', message: '' };
    }
    return null;
  }

  async function authenticate(
    kind: 'login' | 'register',
    username: string,
    password: string,
    displayName?: string,
    invite?: string,
    setupCode?: string,
  ): Promise<boolean> {
    const url = serverUrl.value;
    if (!url || busy.value) return false;
    const code = kind === 'register' && setupCode?.trim() ? setupCode.trim() : undefined;
    error.value = validate(username.trim(), password, code);
    if (!error.value && kind === 'register' && setupRequired.value && code === undefined) {
      error.value = { code: 'setup_required', message: '' };
    }
    if (error.value) return false;
    busy.value = true;
    try {
      const body = {
        username: username.trim().toLowerCase(),
        password,
        deviceName: describeDevice(navigator.userAgent, desktopBridge() !== undefined),
      };
      const name = displayName?.trim();
      // A pasted invite link works as well as the bare code.
      const inviteCode = invite?.trim() ? (inviteCodeFrom(invite) ?? invite.trim()) : undefined;
      const result =
        kind === 'login'
          ? await login(url, body)
          : await register(url, {
              ...body,
              ...(name ? { displayName: name } : {}),
              ...(inviteCode ? { invite: inviteCode } : {}),
              ...(code ? { setupCode: code } : {}),
            });
      expired.value = false;
      if (kind === 'register') setupRequired.value = false;
      save(result);
      return true;
    } catch (e) {
      error.value = toAuthError(e);
      // Asked for by the server: show the field even if the status said otherwise.
      if (error.value.code === 'setup_required') setupRequired.value = true;
      return false;
    } finally {
      busy.value = false;
    }
  }

  /** Signs in with an existing account. */
  function signIn(username: string, password: string): Promise<boolean> {
    return authenticate('login', username, password);
  }

  /**
   * Creates an account (with an invite code or link, where the server needs
   * one; with the setup code for the first account of a new server) and signs in.
   */
  function createAccount(
    username: string,
    password: string,
    displayName?: string,
    invite?: string,
    setupCode?: string,
  ): Promise<boolean> {
    return authenticate('register', username, password, displayName, invite, setupCode);
  }

  /** Signs out here and (best effort) on the server. */
  async function signOut(): Promise<void> {
    const current = session.value;
    const url = serverUrl.value;
    save(null);
    if (current && url) await logout(url, current.token).catch(() => undefined);
  }

  /** The server refused the token: forget it and ask to sign in again. */
  function expire(): void {
    save(null);
    expired.value = true;
  }

  return {
    serverUrl,
    session,
    returning,
    setupRequired,
    checkSetup,
    busy,
    error,
    expired,
    credentials,
    load,
    signIn,
    createAccount,
    signOut,
    expire,
    setDisplayName,
  };
});
