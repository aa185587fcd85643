/** A piece of message text: plain text or a clickable link. */
export type TextPart =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN =
  /\bhttps?:\/\/[^\s<>"'`]+|\bwww\.[^\s<>"'`]+|\b[\w.%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b/gi;
/** An e-mail address (the whole match). */
const EMAIL = /^[\w.%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/i;
const TRAILING = /[.,;:!?)\]}'"»”’]+$/;

/**
 * Splits message text into text and links: http(s) addresses and e-mail
 * addresses (as `mailto:`). No other kind of link is produced; the text
 * itself is never interpreted as HTML.
 */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let raw = match[0];
    const start = match.index;
    const trailing = TRAILING.exec(raw)?.[0] ?? '';
    // Keep a closing bracket that belongs to the link, e.g. wiki/Foo_(bar).
    raw = raw.slice(0, raw.length - trailing.length);
    if (trailing.startsWith(')') && raw.includes('(')) raw += ')';
    const href = EMAIL.test(raw)
      ? `mailto:${raw}`
      : raw.toLowerCase().startsWith('www.')
        ? `https://${raw}`
        : raw;
    if (!isSafeUrl(href)) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** True for absolute http(s) URLs and mailto: addresses. */
export function isSafeUrl(href: string): boolean {
  try {
    const url = new URL(href);
    if (url.protocol === 'mailto:') return EMAIL.test(url.pathname);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
