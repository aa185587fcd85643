import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  checkReceipts,
  describeProblems,
  type DeviceRecord,
  type LogRecord,
  type PeriodRecord,
  type SentRecord,
} from '../support/historyChecker';

const AB = 'd:a:b';
const sent: SentRecord[] = [
  { from: 'a', to: 'b', id: '1', body: 'one', acknowledged: true, survivor: true },
  { from: 'b', to: 'a', id: '1', body: 'two', acknowledged: true, survivor: true },
  { from: 'a', to: 'b', id: '2', body: 'three', acknowledged: true, survivor: true },
];
const log: LogRecord[] = sent.map((m, i) => ({ ...m, conv: AB, seq: i + 1 }));

function device(
  name: string,
  userId: string,
  keys: string[],
  shown: [string, number][] = [],
  written: string[] = [],
): DeviceRecord {
  const bodies = new Map(sent.map((m) => [`${m.from}/${m.id}`, m.body]));
  return {
    name,
    userId,
    conversations: new Map([[AB, keys.map((key) => ({ key, body: bodies.get(key) ?? '?' }))]]),
    shown: new Map(shown),
    written: new Set(written),
  };
}

const clean = () => [
  device('a1', 'a', ['a/1', 'b/1', 'a/2'], [['b/1', 1]], ['a/1', 'a/2']),
  device(
    'a2',
    'a',
    ['a/1', 'b/1', 'a/2'],
    [
      ['a/1', 1],
      ['b/1', 1],
      ['a/2', 1],
    ],
  ),
  device(
    'b1',
    'b',
    ['a/1', 'b/1', 'a/2'],
    [
      ['a/1', 1],
      ['a/2', 1],
    ],
    ['b/1'],
  ),
];

describe('history checker', () => {
  it('reports a clean run as clean', () => {
    expect(checkHistory(sent, log, clean())).toEqual({
      devices: 3,
      conversations: 1,
      logged: 3,
      held: 9,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      misordered: 0,
      dropped: 0,
      repeated: 0,
      phantom: 0,
      gaps: 0,
      outOfOrder: 0,
      examples: {},
    });
    expect(describeProblems(checkHistory(sent, log, clean()))).toBe('none');
  });

  it("finds a device's messages logged out of the order it wrote them; a resent one may land later", () => {
    const written = (order: number[], resent?: number) =>
      sent.map((m, i) => ({
        ...m,
        device: m.from === 'a' ? 'a1' : 'b1',
        order: order[i]!,
        ...(i === resent ? { resent: true } : {}),
      }));
    // a wrote a/1 first, a/2 second: the log's seq 1 and 3 follow that.
    expect(checkHistory(written([1, 1, 2]), log, clean()).outOfOrder).toBe(0);
    // a wrote a/2 first, but the log has it after a/1.
    const swapped = checkHistory(written([2, 1, 1]), log, clean());
    expect(swapped.outOfOrder).toBe(1);
    expect(describeProblems(swapped)).toMatch(/a1 wrote a\/2 \(#3\) before a\/1 \(#1\)/);
    // The same, when a/1 failed and was resent: it may land anywhere.
    expect(checkHistory(written([2, 1, 1], 0), log, clean()).outOfOrder).toBe(0);
  });

  it('counts lost, duplicated, unexpected and misordered messages, per device', () => {
    const devices = clean();
    devices[0] = device('a1', 'a', ['a/1', 'a/2'], [['b/1', 1]], ['a/1', 'a/2']); // b/1 lost
    devices[1] = device('a2', 'a', ['a/1', 'b/1', 'b/1', 'a/2'], [['a/1', 2]]); // held twice, shown twice
    devices[2] = device('b1', 'b', ['b/1', 'a/1', 'a/2', 'x/9'], [], ['b/1']); // out of order, stranger
    const report = checkHistory(sent, log, devices);
    expect(report).toMatchObject({ lost: 1, duplicated: 2, unexpected: 1, misordered: 1 });
    // Each says where: which device, which conversation, which message.
    expect(report.examples).toEqual({
      lost: ['a1 (a) misses d:a:b #2 b/1 "two"'],
      duplicated: ['a2 holds b/1 twice in d:a:b', 'a2 announced a/1 as new 2× (allowed 1)'],
      unexpected: ['b1 (b) holds x/9 "?" in d:a:b: not in what its person may see'],
      misordered: [
        'b1 in d:a:b: position 1 holds b/1 (held, log #2), the log has a/1 there (held, log #1)',
      ],
    });
    expect(describeProblems(report, ['lost', 'dropped'])).toBe(
      'lost=1 (a1 (a) misses d:a:b #2 b/1 "two")',
    );
  });

  it('counts a changed body and a conversation the person is not in as unexpected', () => {
    const devices = clean();
    devices[2]!.conversations.get(AB)![0]!.body = 'ONE';
    devices[2]!.conversations.set('d:a:c', [{ key: 'a/7', body: 'not yours' }]);
    expect(checkHistory(sent, log, devices).unexpected).toBe(2);
  });

  it('counts what the server acknowledged, or a survivor wrote, but does not hold as dropped', () => {
    const extra: SentRecord[] = [
      { from: 'a', to: 'b', id: 'acked', body: 'x', acknowledged: true, survivor: false },
      { from: 'a', to: 'b', id: 'drained', body: 'x', acknowledged: false, survivor: true },
      { from: 'a', to: 'b', id: 'unsure', body: 'x', acknowledged: false, survivor: false },
    ];
    const report = checkHistory([...sent, ...extra], log, clean());
    expect(report.dropped).toBe(2);
    expect(report.examples.dropped).toEqual([
      'a/acked to b "x" (its writer had msg:A)',
      'a/drained to b "x" (its writer survived)',
    ]);
  });

  it('holds the server log to the sent list: each message once, nothing unsent, no gaps', () => {
    const stray: LogRecord = { conv: AB, seq: 4, from: 'b', to: 'a', id: 'x', body: 'unsent' };
    expect(checkHistory(sent, [...log, stray], clean())).toMatchObject({
      phantom: 1,
      gaps: 0,
      examples: { phantom: ['d:a:b #4 b/x "unsent"'] },
    });
    // The same message stored again under a new seq (a store that forgot it took it as new).
    const again: LogRecord = { ...log[0]!, seq: 4 };
    expect(checkHistory(sent, [...log, again], clean())).toMatchObject({
      repeated: 1,
      phantom: 0,
      gaps: 0,
      examples: { repeated: ['a/1 2× (d:a:b #1, d:a:b #4)'] },
    });
    // A log that lost seq 2 and numbered on.
    const gap = [log[0]!, { ...log[2]!, seq: 3 }];
    expect(checkHistory(sent, gap, clean())).toMatchObject({
      gaps: 1,
      dropped: 1,
      examples: { gaps: ['d:a:b: entry 2 has seq 3'] },
    });
    const late = [log[0]!, log[2]!, { ...log[1]!, seq: 3 }].map((r, i) => ({ ...r, seq: i + 1 }));
    expect(checkHistory(sent, late, clean()).gaps).toBe(0);
  });

  it('a sender crashed for good after msg:A: its message must be in the log and on the recipient', () => {
    // a's device crashed right after msg:A for a/9; no device of a holds it any more.
    const crashed: SentRecord = {
      from: 'a',
      to: 'b',
      id: '9',
      body: 'only the server has it',
      acknowledged: true,
      survivor: false,
    };
    const all = [...sent, crashed];
    const kept = [...log, { ...crashed, conv: AB, seq: 4 }];
    const bHolds = (keys: string[]) => [
      device('b1', 'b', keys, [
        ['a/1', 1],
        ['a/2', 1],
      ]),
    ];
    const withIt = bHolds(['a/1', 'b/1', 'a/2', 'a/9']);
    withIt[0]!.conversations.get(AB)![3]!.body = crashed.body;
    // Forgotten by the server: dropped, though the recipient holds nothing wrong.
    expect(checkHistory(all, log, bHolds(['a/1', 'b/1', 'a/2']))).toMatchObject({
      dropped: 1,
      lost: 0,
    });
    // Kept, but never reached the recipient: lost.
    expect(checkHistory(all, kept, bHolds(['a/1', 'b/1', 'a/2']))).toMatchObject({
      dropped: 0,
      lost: 1,
    });
    expect(checkHistory(all, kept, withIt)).toMatchObject({ dropped: 0, lost: 0, unexpected: 0 });
  });
});

describe('history checker, groups', () => {
  const G = 'g:team';
  const log: LogRecord[] = [
    { conv: G, seq: 1, from: 'a', to: G, id: 's1', body: '{}', kind: 'system' },
    { conv: G, seq: 2, from: 'a', to: G, id: 'g1', body: 'before c' },
    { conv: G, seq: 3, from: 'a', to: G, id: 's2', body: '{}', kind: 'system' },
    { conv: G, seq: 4, from: 'b', to: G, id: 'g2', body: 'with c' },
  ];
  // a and b from the start; c added at 3.
  const periods: PeriodRecord[] = [
    { conv: G, user: 'a', from: 1, until: null },
    { conv: G, user: 'b', from: 1, until: null },
    { conv: G, user: 'c', from: 3, until: null },
  ];
  const holding = (userId: string, keys: string[]): DeviceRecord => ({
    name: userId,
    userId,
    conversations: new Map([[G, keys.map((key) => ({ key, body: '' }))]]),
    shown: new Map(),
    written: new Set(),
  });

  it('expects of each member exactly the entries of their membership periods', () => {
    const ok = checkHistory([], log, [holding('c', ['a/s2', 'b/g2'])], periods);
    expect(ok).toMatchObject({ lost: 0, unexpected: 0, misordered: 0 });
    const tooMuch = checkHistory([], log, [holding('c', ['a/g1', 'a/s2', 'b/g2'])], periods);
    expect(tooMuch.unexpected).toBe(1);
    const missing = checkHistory([], log, [holding('b', ['a/s1', 'a/g1', 'b/g2'])], periods);
    expect(missing.lost).toBe(1);
  });

  it('expects each message read once every recipient read past it, delivered before', () => {
    const reads = new Map([
      ['a', new Map([[G, 4]])],
      ['c', new Map([[G, 4]])],
    ]);
    const right = (m: LogRecord) =>
      m.id === 'g1'
        ? [{ device: 'a1', status: 'delivered', receipt: { recipients: 1, delivered: 1, read: 0 } }]
        : [{ device: 'b1', status: 'read', receipt: { recipients: 2, delivered: 2, read: 2 } }];
    expect(checkReceipts(log, periods, reads, right)).toMatchObject({ messages: 2, wrong: 0 });
    const wrong = (m: LogRecord) =>
      m.id === 'g1'
        ? [{ device: 'a1', status: 'read', receipt: { recipients: 1, delivered: 1, read: 1 } }]
        : [{ device: 'b1', status: 'read', receipt: { recipients: 2, delivered: 1, read: 2 } }];
    expect(checkReceipts(log, periods, reads, wrong).wrong).toBe(2);
  });
});
