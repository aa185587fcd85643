import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/historyChecker';

const sent = [
  { from: 'a', to: 'b', id: '1', body: 'one' },
  { from: 'a', to: 'b', id: '2', body: 'two' },
  { from: 'b', to: 'a', id: '1', body: 'three' },
];

describe('history checker', () => {
  it('reports a clean run as clean', () => {
    const received = new Map([
      [
        'b',
        [
          { from: 'a', id: '1', body: 'one' },
          { from: 'a', id: '2', body: 'two' },
        ],
      ],
      ['a', [{ from: 'b', id: '1', body: 'three' }]],
    ]);
    const shown = new Map([
      [
        'b',
        new Map([
          ['a/1', 1],
          ['a/2', 1],
        ]),
      ],
    ]);
    expect(checkHistory(sent, received, shown)).toEqual({
      sent: 3,
      received: 3,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
  });

  it('counts lost, duplicated and unexpected messages', () => {
    const received = new Map([
      // a/2 lost; a/1 twice; a/9 never sent; b/1 delivered to the wrong person.
      [
        'b',
        [
          { from: 'a', id: '1', body: 'one' },
          { from: 'a', id: '1', body: 'one' },
          { from: 'a', id: '9', body: 'x' },
        ],
      ],
      ['c', [{ from: 'b', id: '1', body: 'three' }]],
    ]);
    const shown = new Map([['b', new Map([['a/1', 3]])]]);
    expect(checkHistory(sent, received, shown)).toEqual({
      sent: 3,
      received: 4,
      lost: 2,
      duplicated: 1 + 2,
      unexpected: 2,
    });
  });

  it('counts a changed body as unexpected', () => {
    const received = new Map([['b', [{ from: 'a', id: '1', body: 'ONE' }]]]);
    expect(checkHistory(sent.slice(0, 1), received, new Map()).unexpected).toBe(1);
  });
});
