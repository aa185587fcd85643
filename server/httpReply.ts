import type { FastifyReply, FastifyRequest } from 'fastify';
import { fail, type ErrorCode, type Failure, type HttpErrorBody } from '../protocol';
import type { AccountError, Accounts, Identity, Refusal } from './accounts';

/** The HTTP status of each account refusal. */
export const ACCOUNT_STATUS: Record<AccountError, number> = {
  username_taken: 409,
  registration_closed: 403,
  bad_credentials: 401,
  rate_limited: 429,
  unavailable: 503,
  invite_required: 403,
  account_disabled: 403,
  last_admin: 409,
  invalid_code: 400,
  not_found: 404,
  setup_required: 403,
};

/** The message of each account refusal. */
export const ACCOUNT_MESSAGES: Record<AccountError, string> = {
  username_taken: 'username is taken',
  registration_closed: 'registration is closed',
  bad_credentials: 'wrong username or password',
  rate_limited: 'too many attempts, try again later',
  unavailable: 'the server is busy, try again later',
  invite_required: 'this server needs a valid invite to create an account',
  account_disabled: 'this account is disabled; ask an admin of the server',
  last_admin:
    'the last admin cannot stop being admin or be disabled; make someone else admin first',
  invalid_code: 'the reset code is wrong, used or expired; ask an admin for a new one',
  not_found: 'no such account',
  setup_required:
    'this server has no account yet: the first one (its admin) needs the setup code printed where the server was started, and this one is missing or wrong',
};

/**
 * Sends an error body; with `retryAfterMs` also a `Retry-After` header (whole
 * seconds, rounded up) and the same wait in milliseconds in the body.
 */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
  retryAfterMs?: number,
) {
  const body: HttpErrorBody = fail(code, message, retryAfterMs);
  const { error } = body;
  if (error.retryAfterMs !== undefined) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
  return reply.code(status).send(body);
}

/** Sends an account refusal with its status and message. */
export function sendRefusal(reply: FastifyReply, refusal: Refusal, status?: number) {
  const { code, retryAfterMs } = refusal;
  return sendError(
    reply,
    status ?? ACCOUNT_STATUS[code],
    code,
    ACCOUNT_MESSAGES[code],
    retryAfterMs,
  );
}

/** Reads a bearer token from an Authorization header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  return match?.[1];
}

/**
 * The identity of the request's bearer token, or undefined after answering
 * 401 `unauthorized` (missing, unknown, expired token or disabled account).
 */
export function signedIn(
  accounts: Accounts,
  request: FastifyRequest,
  reply: FastifyReply,
): Identity | undefined {
  const me = accounts.resolve(bearerToken(request.headers.authorization));
  if (!me) void sendError(reply, 401, 'unauthorized', 'missing, invalid or expired token');
  return me;
}

/** Sends a budget's refusal (`rate_limited`, 429, with its wait). */
export function sendBudgetRefusal(reply: FastifyReply, refusal: Failure) {
  const { code, message, retryAfterMs } = refusal.error;
  return sendError(reply, 429, code, message, retryAfterMs);
}
