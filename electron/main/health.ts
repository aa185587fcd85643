/** `GET /healthz` of a Tickline server, with a short timeout. No Electron here. */
import type { BridgeResult } from '../../renderer/src/desktop/bridge';

/** How long a health check may take before the server counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 4000;

export interface HealthCheckOptions {
  timeoutMs?: number;
  /** Injected in tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** Checks that `url` (an origin from `normalizeServerAddress`) answers `/healthz` with `{ok:true}`. */
export async function checkHealth(
  url: string,
  options: HealthCheckOptions = {},
): Promise<BridgeResult<{ url: string }>> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  let response: Response;
  try {
    response = await doFetch(`${url}/healthz`, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      ok: false,
      code: 'unreachable',
      error: timedOut
        ? `No answer from ${url} within ${Math.round(timeoutMs / 1000)} s.`
        : `Cannot reach ${url}: is the server running and the address right?`,
    };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const healthy =
    response.ok &&
    typeof body === 'object' &&
    body !== null &&
    (body as { ok?: unknown }).ok === true;
  if (!healthy) {
    return {
      ok: false,
      code: 'unreachable',
      error: `${url} answered, but it is not a Tickline server (HTTP ${response.status}).`,
    };
  }
  return { ok: true, value: { url } };
}
