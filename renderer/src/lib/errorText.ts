/** Longest error text kept: a stray payload in an error stays out of the diagnostics. */
export const MAX_ERROR_TEXT = 300;

/** What replaces a secret (a session token) found in an error's text. */
export const HIDDEN = '[hidden]';

/** `text` with every occurrence of each of `secrets` replaced by {@link HIDDEN}. */
export function hideSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(HIDDEN);
  return out;
}

/**
 * One line saying what `error` is: its name, its code where it has one, and
 * its message; secrets hidden, cut at {@link MAX_ERROR_TEXT} characters.
 */
export function errorText(error: unknown, secrets: Iterable<string> = []): string {
  let text: string;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const name = error.name && error.name !== 'Error' ? error.name : '';
    const label = [name, typeof code === 'string' || typeof code === 'number' ? code : '']
      .filter(Boolean)
      .join(' ');
    text = label ? `${label}: ${error.message}` : error.message;
  } else {
    text = String(error);
  }
  text = hideSecrets(text.replace(/\s+/g, ' ').trim(), secrets) || '(no message)';
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}
