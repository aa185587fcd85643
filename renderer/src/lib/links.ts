/** A piece of message text: plain text or a clickable link. */
export type TextPart =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+|\bwww\.[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"»”’]+$/;

/**
 * Splits message text into text and http(s) links. Only http and https
 * links are produced; the text itself is never interpreted as HTML.
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
    const href = raw.toLowerCase().startsWith('www.') ? `https://${raw}` : raw;
    if (!isSafeUrl(href)) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** True for absolute http(s) URLs. */
export function isSafeUrl(href: string): boolean {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
