import { ApiError } from '../../../client/api';

/** Account refusals with a message of their own under `accounts.errors`. */
const KNOWN = new Set([
  'invite_required',
  'account_disabled',
  'invalid_code',
  'last_admin',
  'forbidden',
]);

/**
 * The i18n key (and its parameters) that explains a failed account call:
 * `accounts.errors.<code>` for the known refusals, `bad_current` for a wrong
 * current password, else the generic message with the server's text.
 */
export function errorKey(error: unknown): [string, Record<string, unknown>] {
  if (error instanceof ApiError) {
    if (KNOWN.has(error.code)) return [`accounts.errors.${error.code}`, {}];
    if (error.code === 'bad_credentials') return ['accounts.errors.bad_current', {}];
    return ['accounts.errors.generic', { message: error.message }];
  }
  return [
    'accounts.errors.generic',
    { message: error instanceof Error ? error.message : String(error) },
  ];
}
