import { afterAll, describe, expect, it } from 'vitest';
import { dayLabel, formatShort } from '../../../renderer/src/lib/time';

const WORDS = { today: 'Today', yesterday: 'Yesterday' };

// A zone with daylight saving (Europe moves its clocks on 29 March 2026).
// Set before the tables below are built; restored after this file.
const zone = process.env.TZ;
process.env.TZ = 'Europe/Berlin';
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('the contact list says what the day separator says', () => {
  const now = new Date(2026, 10, 28, 9, 30).getTime();

  it.each([
    ['earlier today', new Date(2026, 10, 28, 8, 5).getTime()],
    ['yesterday evening', new Date(2026, 10, 27, 23, 59).getTime()],
    ['yesterday just after midnight', new Date(2026, 10, 27, 0, 1).getTime()],
    ['two days ago', new Date(2026, 10, 26, 12).getTime()],
  ])('%s', (_when, ts) => {
    const separator = dayLabel(ts, 'en-US', WORDS, now);
    const list = formatShort(ts, 'en-US', WORDS, now);
    if (separator === 'Today') expect(list).toMatch(/^\d{1,2}:\d{2}/);
    else if (separator === 'Yesterday') expect(list).toBe('Yesterday');
    else expect(list).toBe('Nov 26');
  });

  it('yesterday is the calendar day before, also across a daylight-saving change', () => {
    // 29 March 2026 has 23 hours: 24 h before 30 March 00:30 is 28 March 23:30.
    const morning = new Date(2026, 2, 30, 0, 30).getTime();
    const dayBefore = new Date(2026, 2, 29, 12).getTime();
    expect(formatShort(dayBefore, 'en-US', WORDS, morning)).toBe('Yesterday');
    expect(dayLabel(dayBefore, 'en-US', WORDS, morning)).toBe('Yesterday');
  });
});
