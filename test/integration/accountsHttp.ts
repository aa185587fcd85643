/**
 * Plain HTTP calls for the account tests: every answer as its status and
 * JSON body, so that tests see exactly what a third-party client would.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import type { RawSocket } from '../support/raw';

/** Password of the accounts these tests create. */
export const PASSWORD = 'correct horse battery';

/** One answer: status and parsed JSON body. */
export interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/** Sends `method url` with an optional bearer token and JSON body. */
export async function call(
  method: string,
  url: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** `POST /api/register` with the test password. */
export function registerAs(
  base: string,
  username: string,
  extra: Record<string, unknown> = {},
): Promise<Answer> {
  return call('POST', `${base}/api/register`, { body: { username, password: PASSWORD, ...extra } });
}

/** `POST /api/login`. */
export function loginAs(base: string, username: string, password = PASSWORD): Promise<Answer> {
  return call('POST', `${base}/api/login`, { body: { username, password } });
}

/** The error code of a failed answer. */
export function codeOf(answer: Answer): unknown {
  return (answer.json.error as { code?: unknown } | undefined)?.code;
}

/** Runs `read` on a read-only connection to the server's database. */
export function inDatabase<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, 'tickline.sqlite3'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Resolves when the server closes `socket` (its session ended), with the reason. */
export function closedByServer(socket: RawSocket): Promise<string> {
  return new Promise((resolve) =>
    (socket as unknown as Socket).once('disconnect', (reason: string) => resolve(reason)),
  );
}
