/** A message as its sender wrote it. */
export interface SentRecord {
  from: string;
  /** A user id, or a group's conversation id. */
  to: string;
  id: string;
  body: string;
  /** The writing device got msg:A for it (the server promised to keep it). */
  acknowledged: boolean;
  /** Written on a device that is still there at the end (its outbox was drained). */
  survivor: boolean;
  /** The device that wrote it, and where it came in that device's writing order. */
  device?: string;
  order?: number;
  /** It failed and was sent again: the one message that may land after later ones. */
  resent?: boolean;
}

/** One entry of a conversation's log, as the server holds it. */
export interface LogRecord {
  conv: string;
  seq: number;
  from: string;
  to: string;
  id: string;
  body: string;
  /** `system` for a membership change. */
  kind?: string;
}

/** One membership period of a group, as the server holds it (`until` null: still a member). */
export interface PeriodRecord {
  conv: string;
  user: string;
  from: number;
  until: number | null;
}

/** What one device holds and showed. */
export interface DeviceRecord {
  /** The device's name in reports. */
  name: string;
  /** The person the device belongs to. */
  userId: string;
  /** Per conversation, the message keys (`from/id`) in the order the device shows them, with bodies. */
  /** Each conversation as the device orders it; `where` says how it placed the message (for failures). */
  conversations: Map<string, { key: string; body: string; where?: string }[]>;
  /** How many times each key was announced as new (a `message` event). */
  shown: Map<string, number>;
  /** Keys this device wrote itself (never announced as new to it). */
  written: Set<string>;
}

/** What the checker found; every count but the first four must be 0. */
export interface HistoryReport {
  devices: number;
  conversations: number;
  /** Messages in the server's logs. */
  logged: number;
  /** Message copies found on devices. */
  held: number;
  /** A message a device should hold (its person's conversations, membership periods) missing on it. */
  lost: number;
  /** A message held twice, or announced more than once. */
  duplicated: number;
  /** A message held that its person should not see, or with another body than written. */
  unexpected: number;
  /** Devices whose order of a conversation differs from the log's `seq` order. */
  misordered: number;
  /** Messages acknowledged (msg:A) or drained from a surviving outbox but not in any log. */
  dropped: number;
  /** Messages in the server's logs more than once (each extra copy counts). */
  repeated: number;
  /** Messages in the server's logs that nobody sent (membership entries aside). */
  phantom: number;
  /** Conversations whose log is not `seq` 1, 2, 3… without gaps or repeats. */
  gaps: number;
  /**
   * Messages of one device in one conversation that the log holds out of
   * the order the device wrote them (a resent message aside): each message
   * placed before one written earlier counts.
   */
  outOfOrder: number;
  /**
   * Up to {@link EXAMPLES} instances of each count that is not 0 (which
   * device, which conversation, which message), for the failure message.
   */
  examples: Partial<Record<Problem, string[]>>;
}

/** The counts of a {@link HistoryReport} that must be 0. */
export const PROBLEMS = [
  'lost',
  'duplicated',
  'unexpected',
  'misordered',
  'dropped',
  'repeated',
  'phantom',
  'gaps',
  'outOfOrder',
] as const;
export type Problem = (typeof PROBLEMS)[number];

/** Examples kept per problem. */
export const EXAMPLES = 5;

function example(report: HistoryReport, problem: Problem, text: string): void {
  const list = (report.examples[problem] ??= []);
  if (list.length < EXAMPLES) list.push(text);
}

/**
 * The counts that are not 0, each with its examples, e.g. `lost=2 (p3d1
 * misses d:…#12 alice/x1 "hi"; …)`; `none` when all are 0.
 */
export function describeProblems(
  report: HistoryReport,
  only: readonly Problem[] = PROBLEMS,
): string {
  const found = only
    .filter((p) => report[p] !== 0)
    .map((p) => `${p}=${report[p]} (${(report.examples[p] ?? []).join('; ')})`);
  return found.length > 0 ? found.join(', ') : 'none';
}

const keyOf = (m: { from: string; id: string }) => `${m.from}/${m.id}`;

/** Who may see which entries: direct conversations by their two people, groups by periods. */
export function visibility(log: LogRecord[], periods: PeriodRecord[]) {
  const byConv = new Map<string, LogRecord[]>();
  for (const r of log) byConv.set(r.conv, [...(byConv.get(r.conv) ?? []), r]);
  for (const list of byConv.values()) list.sort((a, b) => a.seq - b.seq);
  const periodsOf = new Map<string, PeriodRecord[]>();
  for (const p of periods) {
    const k = `${p.conv}|${p.user}`;
    periodsOf.set(k, [...(periodsOf.get(k) ?? []), p]);
  }
  /** Entries of `conv` that `user` sees, in order (empty when none). */
  const seenBy = (conv: string, user: string): LogRecord[] => {
    const list = byConv.get(conv) ?? [];
    if (conv.startsWith('d:')) return conv.split(':').includes(user) ? list : [];
    const mine = periodsOf.get(`${conv}|${user}`) ?? [];
    return list.filter((r) =>
      mine.some((p) => r.seq >= p.from && (p.until === null || r.seq <= p.until)),
    );
  };
  /** The other members of a group at `seq` (the message's recipients). */
  const recipientsAt = (conv: string, seq: number, sender: string): string[] => [
    ...new Set(
      periods
        .filter(
          (p) =>
            p.conv === conv &&
            p.user !== sender &&
            p.from <= seq &&
            (p.until === null || p.until >= seq),
        )
        .map((p) => p.user),
    ),
  ];
  return { byConv, seenBy, recipientsAt };
}

/**
 * Compares every device with the server's logs: each device must hold
 * exactly the entries of its person's conversations (of a group, those of
 * the person's membership periods), once each, in `seq` order, with the
 * bodies their senders wrote; and the logs must hold every message whose
 * sender got msg:A or that a surviving device wrote, once, and no message
 * nobody sent, each conversation numbered 1, 2, 3… without gaps.
 */
export function checkHistory(
  sent: SentRecord[],
  log: LogRecord[],
  devices: DeviceRecord[],
  periods: PeriodRecord[] = [],
): HistoryReport {
  const written = new Map(sent.map((m) => [keyOf(m), m]));
  const { byConv, seenBy } = visibility(log, periods);
  const logged = new Set(log.map(keyOf));
  const texts = log.filter((r) => r.kind !== 'system');

  const report: HistoryReport = {
    devices: devices.length,
    conversations: byConv.size,
    logged: log.length,
    held: 0,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    misordered: 0,
    dropped: 0,
    repeated: log.length - logged.size,
    phantom: texts.filter((r) => !written.has(keyOf(r))).length,
    gaps: [...byConv.values()].filter((list) => list.some((r, i) => r.seq !== i + 1)).length,
    outOfOrder: 0,
    examples: {},
  };
  const entry = (r: LogRecord) => `${r.conv} #${r.seq} ${keyOf(r)} ${JSON.stringify(r.body)}`;
  if (report.repeated > 0) {
    const copies = new Map<string, LogRecord[]>();
    for (const r of log) copies.set(keyOf(r), [...(copies.get(keyOf(r)) ?? []), r]);
    for (const [key, list] of copies) {
      if (list.length > 1) {
        example(
          report,
          'repeated',
          `${key} ${list.length}× (${list.map((r) => `${r.conv} #${r.seq}`).join(', ')})`,
        );
      }
    }
  }
  for (const r of texts) if (!written.has(keyOf(r))) example(report, 'phantom', entry(r));
  for (const [conv, list] of byConv) {
    const at = list.findIndex((r, i) => r.seq !== i + 1);
    if (at >= 0) example(report, 'gaps', `${conv}: entry ${at + 1} has seq ${list[at]!.seq}`);
  }
  for (const m of sent) {
    if ((m.acknowledged || m.survivor) && !logged.has(keyOf(m))) {
      report.dropped++;
      example(
        report,
        'dropped',
        `${keyOf(m)} to ${m.to} ${JSON.stringify(m.body)} (${m.acknowledged ? 'its writer had msg:A' : 'its writer survived'})`,
      );
    }
  }
  // Each device's messages of a conversation, in the order it wrote them, hold increasing seqs.
  const seqOf = new Map(log.map((r) => [keyOf(r), r]));
  const writtenBy = new Map<string, { order: number; r: LogRecord }[]>();
  for (const m of sent) {
    const r = seqOf.get(keyOf(m));
    if (m.device === undefined || m.order === undefined || m.resent || !r) continue;
    const k = `${m.device}|${r.conv}`;
    writtenBy.set(k, [...(writtenBy.get(k) ?? []), { order: m.order, r }]);
  }
  for (const [k, list] of writtenBy) {
    list.sort((a, b) => a.order - b.order);
    let highest: LogRecord | undefined;
    for (const { r } of list) {
      if (highest && r.seq < highest.seq) {
        report.outOfOrder++;
        example(
          report,
          'outOfOrder',
          `${k.split('|')[0]} wrote ${keyOf(highest)} (#${highest.seq}) before ${keyOf(r)} (#${r.seq}) in ${r.conv}`,
        );
      } else highest = r;
    }
  }
  for (const d of devices) {
    const convs = new Set([...byConv.keys(), ...d.conversations.keys()]);
    for (const conv of convs) {
      const truth = seenBy(conv, d.userId);
      const held = d.conversations.get(conv) ?? [];
      report.held += held.length;
      const seen = new Set<string>();
      const expected = new Map(truth.map((r) => [keyOf(r), r]));
      for (const h of held) {
        if (seen.has(h.key)) {
          report.duplicated++;
          example(report, 'duplicated', `${d.name} holds ${h.key} twice in ${conv}`);
        }
        seen.add(h.key);
        const original = written.get(h.key);
        if (!expected.has(h.key) || (original && original.body !== h.body)) {
          report.unexpected++;
          example(
            report,
            'unexpected',
            `${d.name} (${d.userId}) holds ${h.key} ${JSON.stringify(h.body)} in ${conv}: ` +
              (expected.has(h.key)
                ? `written as ${JSON.stringify(original?.body)}`
                : 'not in what its person may see'),
          );
        }
      }
      for (const [key, r] of expected) {
        if (!seen.has(key)) {
          report.lost++;
          example(report, 'lost', `${d.name} (${d.userId}) misses ${entry(r)}`);
        }
      }
      const order = [...new Set(held.map((h) => h.key))].filter((k) => expected.has(k));
      const placed = (key: string | undefined) => held.find((h) => h.key === key)?.where ?? 'held';
      const reference = truth.map(keyOf).filter((k) => seen.has(k));
      if (order.join('\n') !== reference.join('\n')) {
        report.misordered++;
        const at = order.findIndex((k, i) => k !== reference[i]);
        example(
          report,
          'misordered',
          `${d.name} in ${conv}: position ${at + 1} holds ${order[at]}` +
            ` (${placed(order[at])}, log #${expected.get(order[at]!)?.seq}), the log has ` +
            `${reference[at]} there (${placed(reference[at])}, log #${expected.get(reference[at]!)?.seq})`,
        );
      }
    }
    for (const [key, n] of d.shown) {
      const allowed = d.written.has(key) ? 0 : 1;
      if (n > allowed) {
        report.duplicated += n - allowed;
        example(
          report,
          'duplicated',
          `${d.name} announced ${key} as new ${n}× (allowed ${allowed})`,
        );
      }
    }
  }
  return report;
}

/** Where one message stands on one of its sender's devices. */
export interface OwnStatus {
  device: string;
  status: string | undefined;
  receipt?: { recipients: number; delivered: number; read: number };
}

/** What the receipts check found. */
export interface ReceiptReport {
  /** Messages checked, and status copies (one per sender device). */
  messages: number;
  copies: number;
  /** Copies whose status or counts differ from what the recipients did. */
  wrong: number;
  /** Up to five examples, for the failure message. */
  examples: string[];
}

/**
 * Every text message's status on each of its sender's devices must be what
 * its recipients did: delivered once every recipient has it (every device
 * here caught up), read once every recipient read past it (`reads`: person →
 * conversation → the `seq` they read up to), with the group counts to match.
 */
export function checkReceipts(
  log: LogRecord[],
  periods: PeriodRecord[],
  reads: Map<string, Map<string, number>>,
  statuses: (m: LogRecord) => OwnStatus[],
): ReceiptReport {
  const { recipientsAt } = visibility(log, periods);
  const report: ReceiptReport = { messages: 0, copies: 0, wrong: 0, examples: [] };
  for (const m of log) {
    if (m.kind === 'system') continue;
    const group = m.conv.startsWith('g:');
    const recipients = group ? recipientsAt(m.conv, m.seq, m.from) : [m.to];
    const read = recipients.filter((r) => (reads.get(r)?.get(m.conv) ?? 0) >= m.seq).length;
    const status = recipients.length > 0 && read === recipients.length ? 'read' : 'delivered';
    report.messages++;
    for (const s of statuses(m)) {
      report.copies++;
      const countsOk =
        !group ||
        (s.receipt?.recipients === recipients.length &&
          s.receipt.delivered === recipients.length &&
          s.receipt.read === read);
      if (s.status !== status || !countsOk) {
        report.wrong++;
        if (report.examples.length < 5) {
          report.examples.push(
            `${m.conv} #${m.seq} on ${s.device}: ${s.status} ${JSON.stringify(s.receipt)}, expected ${status} ${recipients.length}/${recipients.length}/${read}`,
          );
        }
      }
    }
  }
  return report;
}
