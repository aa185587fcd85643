import {
  clientPolicySchema,
  devicesResponseSchema,
  errorSchema,
  prefsSchema,
  sessionSchema,
  setupStatusSchema,
  usersResponseSchema,
  type ClientPolicy,
  type Device,
  type LoginBody,
  type Prefs,
  type RegisterBody,
  type Session,
  type SetupStatus,
  type User,
} from '../protocol';

/**
 * A failed HTTP call, with the server's error code when it sent one and,
 * when the server said when to try again, that wait in milliseconds.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The wait an answer asks for: the body's `retryAfterMs`, else a
 * `Retry-After` header (seconds or an HTTP date), else undefined.
 */
export function retryAfterOf(
  header: string | null,
  bodyMs: number | undefined,
  now = Date.now(),
): number | undefined {
  if (bodyMs !== undefined) return bodyMs;
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Makes one HTTP call; a failure becomes an {@link ApiError} with the server's code. */
export async function call(url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError('unreachable', `server unreachable: ${String(error)}`, 0);
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const parsed = errorSchema.safeParse((json as { error?: unknown } | undefined)?.error);
    const retryAfterMs = retryAfterOf(
      response.headers.get('retry-after'),
      parsed.success ? parsed.data.retryAfterMs : undefined,
    );
    if (parsed.success) {
      throw new ApiError(parsed.data.code, parsed.data.message, response.status, retryAfterMs);
    }
    const code = response.status === 503 ? 'unavailable' : 'internal';
    throw new ApiError(code, `HTTP ${response.status}`, response.status, retryAfterMs);
  }
  return json;
}

/** POSTs a JSON body. */
export function post(url: string, body: unknown): Promise<unknown> {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Creates an account (and a session). */
export async function register(baseUrl: string, body: RegisterBody): Promise<Session> {
  return sessionSchema.parse(await post(`${baseUrl}/api/register`, body));
}

/** Signs in. */
export async function login(baseUrl: string, body: LoginBody): Promise<Session> {
  return sessionSchema.parse(await post(`${baseUrl}/api/login`, body));
}

/** Ends a session on the server. */
export async function logout(baseUrl: string, token: string): Promise<void> {
  await call(`${baseUrl}/api/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
}

/** The retry policy this server's clients use. */
export async function fetchPolicy(baseUrl: string): Promise<ClientPolicy> {
  return clientPolicySchema.parse(await call(`${baseUrl}/api/config`, { method: 'GET' }));
}

/** Whether the server has no account yet and the first one needs its setup code. */
export async function fetchSetupStatus(baseUrl: string): Promise<SetupStatus> {
  return setupStatusSchema.parse(await call(`${baseUrl}/api/setup`, { method: 'GET' }));
}

/** Every user, with presence. */
export async function fetchUsers(baseUrl: string, token: string): Promise<User[]> {
  const json = await call(`${baseUrl}/api/users`, {
    method: 'GET',
    headers: { authorization: `Bearer ${token}` },
  });
  return usersResponseSchema.parse(json).users;
}

/** `init` with the bearer token of a session. */
export function authorized(token: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } };
}

/** The signed-in person's devices (sign-ins), this one marked `current`. */
export async function fetchDevices(baseUrl: string, token: string): Promise<Device[]> {
  const json = await call(`${baseUrl}/api/devices`, authorized(token, { method: 'GET' }));
  return devicesResponseSchema.parse(json).devices;
}

/** Signs one of the person's devices out. */
export async function signOutDevice(
  baseUrl: string,
  token: string,
  deviceId: string,
): Promise<void> {
  await call(
    `${baseUrl}/api/devices/${encodeURIComponent(deviceId)}`,
    authorized(token, { method: 'DELETE' }),
  );
}

/** Renames one of the person's devices. */
export async function renameDevice(
  baseUrl: string,
  token: string,
  deviceId: string,
  name: string,
): Promise<void> {
  await call(
    `${baseUrl}/api/devices/${encodeURIComponent(deviceId)}`,
    authorized(token, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    }),
  );
}

/** The signed-in person's preferences. */
export async function fetchPrefs(baseUrl: string, token: string): Promise<Prefs> {
  const json = await call(`${baseUrl}/api/me`, authorized(token, { method: 'GET' }));
  return prefsSchema.parse({ readReceipts: (json as { readReceipts?: unknown }).readReceipts });
}

/** Changes the signed-in person's preferences; returns them as they are now. */
export async function updatePrefs(baseUrl: string, token: string, prefs: Prefs): Promise<Prefs> {
  const json = await call(
    `${baseUrl}/api/me`,
    authorized(token, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(prefs),
    }),
  );
  return prefsSchema.parse(json);
}
