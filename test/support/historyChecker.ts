/** A message as its sender wrote it. */
export interface SentRecord {
  from: string;
  to: string;
  id: string;
  body: string;
  /** The writing device got msg:A for it (the server promised to keep it). */
  acknowledged: boolean;
  /** Written on a device that is still there at the end (its outbox was drained). */
  survivor: boolean;
}

/** One entry of a conversation's log, as the server holds it. */
export interface LogRecord {
  conv: string;
  seq: number;
  from: string;
  to: string;
  id: string;
  body: string;
}

/** What one device holds and showed. */
export interface DeviceRecord {
  /** The device's name in reports. */
  name: string;
  /** The person the device belongs to. */
  userId: string;
  /** Per conversation, the message keys (`from/id`) in the order the device shows them, with bodies. */
  conversations: Map<string, { key: string; body: string }[]>;
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
  /** A message of a device's conversation missing on it. */
  lost: number;
  /** A message held twice, or announced more than once. */
  duplicated: number;
  /** A message held that is not in that person's logs, or with another body than written. */
  unexpected: number;
  /** Devices whose order of a conversation differs from the log's `seq` order. */
  misordered: number;
  /** Messages acknowledged (msg:A) or drained from a surviving outbox but not in any log. */
  dropped: number;
}

const keyOf = (m: { from: string; id: string }) => `${m.from}/${m.id}`;

/**
 * Compares every device with the server's logs: each device must hold
 * exactly the messages of its person's conversations, once each, in `seq`
 * order, with the bodies their senders wrote; and the logs must hold every
 * message whose sender got msg:A or that a surviving device wrote.
 */
export function checkHistory(
  sent: SentRecord[],
  log: LogRecord[],
  devices: DeviceRecord[],
): HistoryReport {
  const written = new Map(sent.map((m) => [keyOf(m), m]));
  const byConv = new Map<string, LogRecord[]>();
  const convsOf = new Map<string, Set<string>>();
  for (const r of log) {
    byConv.set(r.conv, [...(byConv.get(r.conv) ?? []), r]);
    for (const who of [r.from, r.to]) convsOf.set(who, (convsOf.get(who) ?? new Set()).add(r.conv));
  }
  for (const list of byConv.values()) list.sort((a, b) => a.seq - b.seq);
  const logged = new Set(log.map(keyOf));

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
  };
  for (const m of sent) {
    if ((m.acknowledged || m.survivor) && !logged.has(keyOf(m))) report.dropped++;
  }
  for (const d of devices) {
    const mine = convsOf.get(d.userId) ?? new Set<string>();
    for (const [conv, held] of d.conversations) {
      if (!mine.has(conv) && held.length > 0) report.unexpected += held.length;
    }
    for (const conv of mine) {
      const truth = byConv.get(conv)!;
      const held = d.conversations.get(conv) ?? [];
      report.held += held.length;
      const seen = new Set<string>();
      const expected = new Map(truth.map((r) => [keyOf(r), r]));
      for (const h of held) {
        if (seen.has(h.key)) report.duplicated++;
        seen.add(h.key);
        const original = written.get(h.key);
        if (!expected.has(h.key) || (original && original.body !== h.body)) report.unexpected++;
      }
      for (const key of expected.keys()) if (!seen.has(key)) report.lost++;
      const order = [...new Set(held.map((h) => h.key))].filter((k) => expected.has(k));
      const reference = truth.map(keyOf).filter((k) => seen.has(k));
      if (order.join('\n') !== reference.join('\n')) report.misordered++;
    }
    for (const [key, n] of d.shown) {
      const allowed = d.written.has(key) ? 0 : 1;
      if (n > allowed) report.duplicated += n - allowed;
    }
  }
  return report;
}
