/** A message as its sender created it. */
export interface SentRecord {
  from: string;
  to: string;
  id: string;
  body: string;
}

/** A message as a recipient's history holds it. */
export interface ReceivedRecord {
  from: string;
  id: string;
  body: string;
}

/** What the checker found. */
export interface HistoryReport {
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  unexpected: number;
}

/**
 * Compares what senders sent with what each recipient's history shows.
 * `received` maps a recipient to the messages in its history; `shown` maps
 * a recipient to how many times each `from/id` was shown to the user.
 * lost: sent but absent; duplicated: present or shown more than once;
 * unexpected: present but never sent to that recipient, or with another body.
 */
export function checkHistory(
  sent: SentRecord[],
  received: Map<string, ReceivedRecord[]>,
  shown: Map<string, Map<string, number>>,
): HistoryReport {
  const expected = new Map<string, SentRecord>();
  for (const m of sent) expected.set(`${m.to}|${m.from}/${m.id}`, m);
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  let total = 0;
  const present = new Set<string>();
  for (const [recipient, list] of received) {
    for (const m of list) {
      total++;
      const key = `${recipient}|${m.from}/${m.id}`;
      if (present.has(key)) duplicated++;
      present.add(key);
      const original = expected.get(key);
      if (!original || original.body !== m.body) unexpected++;
    }
  }
  for (const key of expected.keys()) if (!present.has(key)) lost++;
  for (const counts of shown.values()) {
    for (const n of counts.values()) if (n > 1) duplicated += n - 1;
  }
  return { sent: sent.length, received: total, lost, duplicated, unexpected };
}
