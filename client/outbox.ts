import {
  isGroupId,
  msgA2Schema,
  msgASchema,
  type AckN,
  type Answer,
  type ClientPolicy,
  type MsgA,
  type MsgR,
} from '../protocol';
import { attemptTimeoutMs, sentRetryDelayMs, storedRecheckMs } from './retry';
import { canAdvance, type OutStatus } from './status';
import { messageKey, type ClientStorage, type StoredMessage } from './storage';

/** What the outbox needs from the connection. */
export interface OutboxLink {
  /** True while the socket is connected. */
  connected(): boolean;
  /** Emits `msg:R` and calls back with its answer or a timeout error. */
  sendMsgR(
    packet: MsgR,
    timeoutMs: number,
    callback: (error: Error | null, answer: Answer<MsgA>) => void,
  ): void;
}

/** Dependencies of the {@link Outbox}. */
export interface OutboxDeps {
  userId: string;
  storage: ClientStorage;
  link: OutboxLink;
  policy: () => ClientPolicy;
  random: () => number;
  /** Called with every persisted status change. */
  changed: (message: StoredMessage) => void;
}

interface Tracker {
  key: string;
  id: string;
  to: string;
  body: string;
  status: OutStatus;
  deadline: number;
  /** Transmissions while pending. */
  attempts: number;
  /** Retransmissions after reaching `sent`. */
  rounds: number;
  /** Bumped on every transmission and disconnect; stale answers are ignored. */
  gen: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const TRANSIENT: ReadonlySet<string> = new Set(['rate_limited', 'internal']);

/**
 * This device's outbox: every message written here is retransmitted with
 * the same id until the server holds it (`msg:A`), then on a capped backoff
 * until the recipient has it (`ack:N`); a message without `msg:A` within
 * the retry budget turns `failed` and waits for the person.
 */
export class Outbox {
  private readonly trackers = new Map<string, Tracker>();
  private closed = false;

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Loads every unfinished message of the outbox (after a restart). A group
   * message the server holds needs nothing more from the outbox: where it
   * stands comes as receipts.
   */
  async load(): Promise<void> {
    const unfinished = await this.deps.storage.outgoingByStatus(['pending', 'sent', 'stored']);
    for (const m of unfinished) {
      if (m.status === 'pending' || !isGroupId(m.to)) this.track(m);
    }
  }

  /** Arms deadline timers (before the first connection). */
  armAll(): void {
    for (const t of this.trackers.values()) this.armDeadline(t);
  }

  /** Stops every timer; nothing is sent after this. */
  close(): void {
    this.closed = true;
    for (const t of this.trackers.values()) this.clearTimer(t);
    this.trackers.clear();
  }

  /** Starts sending a message just written (already in storage). */
  start(message: StoredMessage): void {
    if (!this.closed) this.transmit(this.track(message));
  }

  /** Sends a failed message again with a fresh deadline; false when it is not failed. */
  async resend(id: string, deadline: number): Promise<boolean> {
    const key = messageKey(this.deps.userId, id);
    const updated = await this.deps.storage.advance(key, 'pending', { deadline });
    if (!updated || this.closed) return false;
    this.deps.changed(updated);
    this.transmit(this.track(updated));
    return true;
  }

  /**
   * An `ack:N` for one of the person's messages. Returns false when it is
   * not one of this device's outbox messages (the caller updates it).
   */
  async onAckN(packet: AckN): Promise<boolean> {
    const key = messageKey(this.deps.userId, packet.id);
    const status: OutStatus = packet.offline ? 'stored' : 'delivered';
    let t = this.trackers.get(key);
    if (!t) {
      const saved = await this.deps.storage.get(key);
      if (!saved?.outbox) return false;
      if (packet.seq !== undefined && saved.seq === undefined)
        this.record(key, packet.ts, packet.seq);
      // A failed message the server did hold after all: show the truth.
      if (!saved.status || !canAdvance(saved.status, status) || this.closed) return true;
      t = this.trackers.get(key) ?? this.track(saved);
    }
    if (!this.advance(t, status, { ts: packet.ts, seq: packet.seq })) return true;
    if (t.status === 'stored') {
      t.gen++;
      this.scheduleRecheck(t);
    }
    return true;
  }

  /** The connection is up: retransmit everything unfinished. */
  onConnect(): void {
    const now = Date.now();
    for (const t of [...this.trackers.values()]) {
      t.rounds = 0;
      if (t.status === 'pending' && now >= t.deadline) this.fail(t);
      else this.transmit(t);
    }
  }

  /** The connection is down: answers in flight are void, deadlines keep running. */
  onDisconnect(): void {
    for (const t of this.trackers.values()) {
      t.gen++;
      this.armDeadline(t);
    }
  }

  private track(m: StoredMessage): Tracker {
    const existing = this.trackers.get(m.key);
    if (existing) {
      existing.status = m.status ?? existing.status;
      existing.deadline = m.deadline ?? existing.deadline;
      existing.attempts = 0;
      return existing;
    }
    const t: Tracker = {
      key: m.key,
      id: m.id,
      to: m.to,
      body: m.body,
      status: m.status ?? 'pending',
      deadline: m.deadline ?? 0,
      attempts: 0,
      rounds: 0,
      gen: 0,
      timer: undefined,
    };
    this.trackers.set(t.key, t);
    return t;
  }

  private transmit(t: Tracker): void {
    this.clearTimer(t);
    if (!this.deps.link.connected()) {
      this.armDeadline(t);
      return;
    }
    const gen = ++t.gen;
    if (t.status === 'pending') t.attempts++;
    const policy = this.deps.policy();
    const timeout = attemptTimeoutMs(policy, Math.max(1, t.attempts), this.deps.random);
    this.deps.link.sendMsgR({ id: t.id, to: t.to, body: t.body }, timeout, (error, answer) =>
      this.onMsgA(t, gen, error, answer),
    );
  }

  private onMsgA(t: Tracker, gen: number, error: Error | null, answer: Answer<MsgA>): void {
    const full = error ? undefined : msgA2Schema.safeParse(answer);
    if (this.trackers.get(t.key) !== t) {
      // Finished meanwhile (ack:N came first): only its place in the log is news.
      if (full?.success) this.record(t.key, full.data.ts, full.data.seq);
      return;
    }
    if (t.gen !== gen) return;
    const failure = error ? undefined : answer.ok ? undefined : answer.error;
    // The server already holds a message past `pending`: keep retransmitting it.
    if ((error || failure) && t.status !== 'pending') return this.scheduleRetransmit(t);
    const policy = this.deps.policy();
    if (error || (failure && TRANSIENT.has(failure.code))) {
      if (!this.deps.link.connected()) return this.armDeadline(t);
      if (t.attempts >= policy.maxAttempts || Date.now() >= t.deadline) return this.fail(t);
      if (error) return this.transmit(t); // the timeout has already been waited out
      // A quick refusal (rate_limited, internal): wait as long as a timeout would have.
      t.timer = setTimeout(
        () => this.transmit(t),
        attemptTimeoutMs(policy, t.attempts, this.deps.random),
      );
      return;
    }
    if (failure) {
      // Permanent refusal (too_large, unknown_recipient, id_conflict...): retrying cannot help.
      this.fail(t);
      return;
    }
    const parsed = full?.success ? full : msgASchema.safeParse(answer);
    if (!parsed.success) return;
    const seq = full?.success ? full.data.seq : undefined;
    this.advance(t, 'sent', { ts: parsed.data.ts, seq });
    if (isGroupId(t.to)) {
      // The server holds it; the members' progress arrives as receipts.
      this.clearTimer(t);
      this.trackers.delete(t.key);
    } else if (t.status === 'sent') this.scheduleRetransmit(t);
    else if (t.status === 'stored') this.scheduleRecheck(t);
  }

  /**
   * Moves a tracked message forward in memory and on disk; false when its
   * status may not move (its `seq` and `ts` are recorded all the same).
   */
  private advance(
    t: Tracker,
    status: OutStatus,
    patch: { ts?: number; seq?: number } = {},
  ): boolean {
    const moves = canAdvance(t.status, status);
    if (moves) {
      t.status = status;
      if (status === 'delivered' || status === 'failed') {
        this.clearTimer(t);
        this.trackers.delete(t.key);
      }
    }
    if (!moves && patch.seq === undefined) return false;
    void this.deps.storage.advance(t.key, status, patch).then((updated) => {
      if (updated) this.deps.changed(updated);
    });
    return moves;
  }

  /** Records the server's `ts` and `seq` of a message whose status is already final. */
  private record(key: string, ts: number, seq: number): void {
    void this.deps.storage.advance(key, 'sent', { ts, seq }).then((updated) => {
      if (updated) this.deps.changed(updated);
    });
  }

  private fail(t: Tracker): void {
    this.advance(t, 'failed');
  }

  private scheduleRetransmit(t: Tracker): void {
    this.clearTimer(t);
    if (!this.deps.link.connected()) return;
    t.rounds++;
    t.timer = setTimeout(
      () => this.transmit(t),
      sentRetryDelayMs(this.deps.policy(), t.rounds, this.deps.random),
    );
  }

  private scheduleRecheck(t: Tracker): void {
    this.clearTimer(t);
    if (!this.deps.link.connected()) return;
    t.timer = setTimeout(() => this.transmit(t), storedRecheckMs(this.deps.policy()));
  }

  /** While disconnected, a message without msg:A fails when its budget runs out. */
  private armDeadline(t: Tracker): void {
    this.clearTimer(t);
    if (t.status !== 'pending') return;
    t.timer = setTimeout(
      () => {
        t.timer = undefined;
        if (t.status === 'pending' && !this.deps.link.connected()) this.fail(t);
      },
      Math.max(0, t.deadline - Date.now()),
    );
  }

  private clearTimer(t: Tracker): void {
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.timer = undefined;
  }
}
