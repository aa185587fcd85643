/** Local calendar day of `ts` as `YYYY-MM-DD` (for day separators). */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${m}-${day}`;
}

/** Clock time of a message, e.g. `14:05` or `2:05 PM` depending on the locale. */
export function formatTime(ts: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(ts);
}

/** Full date and time, for tooltips. */
export function formatDateTime(ts: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(ts);
}

/** Date and time in a medium form (lists in Settings): "Nov 28, 2026, 9:04 AM". */
export function formatWhen(ts: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ts);
}

/** Date and time to the second (diagnostics): "Nov 28, 2026, 9:04:05 AM". */
export function formatPrecise(ts: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(ts);
}

/** The calendar day before `now`'s, as a `dayKey` (right across daylight-saving changes). */
function yesterdayKey(now: number): string {
  const d = new Date(now);
  d.setDate(d.getDate() - 1);
  return dayKey(d.getTime());
}

/** Which label a day separator shows: today, yesterday, or a date. */
export function dayLabel(
  ts: number,
  locale: string,
  words: { today: string; yesterday: string },
  now: number = Date.now(),
): string {
  const key = dayKey(ts);
  if (key === dayKey(now)) return words.today;
  if (key === yesterdayKey(now)) return words.yesterday;
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(ts);
}

/**
 * Short time for the contact list: clock time today, the word for yesterday
 * (as the day separator says), otherwise a short date.
 */
export function formatShort(
  ts: number,
  locale: string,
  words: { yesterday: string },
  now: number = Date.now(),
): string {
  if (dayKey(ts) === dayKey(now)) return formatTime(ts, locale);
  if (dayKey(ts) === yesterdayKey(now)) return words.yesterday;
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' }).format(ts);
}
