import { REPLY_EXCERPT_MAX } from './limits';

/**
 * The start of a message's text as a reply quotes it: at most
 * {@link REPLY_EXCERPT_MAX} UTF-16 code units, never half a surrogate pair,
 * with runs of white space (newlines included) shown as one space.
 */
export function replyExcerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (flat.length <= REPLY_EXCERPT_MAX) return flat;
  let end = REPLY_EXCERPT_MAX;
  const last = flat.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return flat.slice(0, end);
}
