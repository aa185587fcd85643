import { describe, expect, it } from 'vitest';
import { splitLinks } from '../../../renderer/src/lib/links';
import { buildRows } from '../../../renderer/src/lib/rows';
import { message } from './helpers';

describe('splitLinks', () => {
  it('finds http(s) and www links, leaving trailing punctuation out', () => {
    expect(splitLinks('see https://a.example/x, and www.b.example.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://a.example/x', href: 'https://a.example/x' },
      { kind: 'text', text: ', and ' },
      { kind: 'link', text: 'www.b.example', href: 'https://www.b.example' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never links other schemes', () => {
    expect(splitLinks('javascript:alert(1) file:///etc/passwd')).toEqual([
      { kind: 'text', text: 'javascript:alert(1) file:///etc/passwd' },
    ]);
  });
});

describe('day separators', () => {
  it('one separator per calendar day', () => {
    const day1 = new Date(2025, 0, 1, 10).getTime();
    const day2 = new Date(2025, 0, 2, 9).getTime();
    const rows = buildRows([
      message({ ts: day1 }),
      message({ ts: day1 + 60_000 }),
      message({ ts: day2 }),
    ]);
    expect(rows.map((r) => r.day !== null)).toEqual([true, false, true]);
    expect(rows.map((r) => r.key)).toEqual(rows.map((r) => r.message.key));
  });
});
