import {
  isGroupId,
  msgA2Schema,
  msgASchema,
  type AckN,
  type Answer,
  type ClientPolicy,
  type ConversationId,
  type MessageRef,
  type MsgA,
  type MsgR,
} from '../protocol';
import {
  attemptTimeoutMs,
  sentRetryCapMs,
  sentRetryDelayMs,
  storedRecheckMs,
  throttleDelayMs,
} from './retry';
import { MIN_DELIVERY_RTO_MS, MIN_SERVER_RTO_MS, RttEstimator } from './rtt';
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
  /**
   * An answer did not come on a link that looks connected: check the link
   * (a silent partition shows no disconnect).
   */
  suspect(): void;
}

/** The server said "not now" about a message: wait `retryAfterMs`, then send it again. */
export interface Throttle {
  code: 'rate_limited' | 'inbox_full';
  /** The message's recipient (a user or group id). */
  to: string;
  retryAfterMs: number;
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
  /** A message is being held back by the server (`undefined`: no longer). */
  throttled: (key: string, throttle: Throttle | undefined) => void;
  /** A storage write failed (the message stays where it was; retried later). */
  failed: (error: unknown) => void;
}

interface Tracker {
  key: string;
  id: string;
  to: string;
  conv: ConversationId;
  /**
   * Its place in the order this device wrote the conversation's messages
   * (`composedAt`, strictly increasing per device; a resent message takes a
   * new one, after everything written before the resend).
   */
  rank: number;
  /** Since when the server has held it back for an earlier message of this device (`out_of_order`). */
  heldSince: number | undefined;
  /** Written but not stored yet: it has its place in the order, and is not sent until {@link Outbox.start}. */
  prepared: boolean;
  body: string;
  /** A reply: the message it answers. */
  reply: MessageRef | undefined;
  status: OutStatus;
  deadline: number;
  /** Transmissions while pending. */
  attempts: number;
  /** Retransmissions after reaching `sent`. */
  rounds: number;
  /** Bumped on every transmission and disconnect; stale answers are ignored. */
  gen: number;
  /** Time spent waiting for the server's `retryAfterMs`: added to the deadline. */
  throttledMs: number;
  /** The throttle being reported for it, if any. */
  throttled: Throttle['code'] | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The next early copy of the current attempt (see {@link Outbox.scheduleEarly}). */
  earlyTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the current attempt (or round) was transmitted; 0 before the first. */
  sentAt: number;
  /** When msg:A arrived (for the delivery round-trip sample). */
  heldAt: number | undefined;
  /** Nothing of it was transmitted twice yet: its answers are clean round-trip samples. */
  clean: boolean;
}

const TRANSIENT: ReadonlySet<string> = new Set(['internal', 'unavailable']);
const THROTTLES: ReadonlySet<string> = new Set(['rate_limited', 'inbox_full']);

/** A throttle shorter than this is waited out without telling the UI. */
export const THROTTLE_NOTICE_MS = 1_000;

/**
 * This device's outbox: every message written here is retransmitted with
 * the same id until the server holds it (`msg:A`), then on a capped backoff
 * until the recipient has it (`ack:N`); a message without `msg:A` within
 * the retry budget turns `failed` and waits for the person.
 */
export class Outbox {
  private readonly trackers = new Map<string, Tracker>();
  private closed = false;
  private lastStamp = 0;
  /** `msg:R` → `msg:A`: how long the server takes to answer. */
  private readonly serverRtt = new RttEstimator(MIN_SERVER_RTO_MS);
  /** `msg:A` → `ack:N` of a direct message to an online recipient: how long delivery takes. */
  private readonly deliveryRtt = new RttEstimator(MIN_DELIVERY_RTO_MS);

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * A composition time for a message written now: `now`, or just after the
   * last one handed out (also before a restart), so that this device's
   * messages have a strict order even when written in the same millisecond.
   */
  stamp(now: number): number {
    this.lastStamp = Math.max(now, this.lastStamp + 1);
    return this.lastStamp;
  }

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
    for (const m of await this.deps.storage.outgoingByStatus(['failed'])) {
      this.lastStamp = Math.max(this.lastStamp, m.composedAt ?? 0);
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

  /**
   * Reserves the place of a message being written in this device's order,
   * before it is stored: a later message written meanwhile follows it. It
   * is not sent until {@link start} (once stored) or dropped by {@link forget}.
   */
  prepare(message: StoredMessage): void {
    if (!this.closed) this.track(message).prepared = true;
  }

  /** A prepared message could not be stored: it was never written. */
  forget(key: string): void {
    const t = this.trackers.get(key);
    if (!t?.prepared) return;
    this.clearTimer(t);
    this.trackers.delete(key);
    this.releaseHeld(t.conv);
  }

  /** Starts sending a message just written (already in storage). */
  start(message: StoredMessage): void {
    if (!this.closed) this.transmit(this.track(message));
  }

  /**
   * Sends a failed message again with a fresh deadline; false when it is not
   * failed. It is written anew, as far as order goes: it takes its place
   * after everything in the conversation now (the one exception to the
   * order this device wrote in), and shows there.
   */
  async resend(id: string, deadline: number): Promise<boolean> {
    const key = messageKey(this.deps.userId, id);
    const updated = await this.deps.storage.advance(key, 'pending', {
      deadline,
      composedAt: this.stamp(Date.now()),
    });
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
    const tracked = t;
    if (
      !packet.offline &&
      tracked.status === 'sent' &&
      tracked.clean &&
      tracked.heldAt !== undefined
    ) {
      this.deliveryRtt.sample(Date.now() - tracked.heldAt);
    }
    if (!(await this.advance(tracked, status, { ts: packet.ts, seq: packet.seq }))) return true;
    if (tracked.status === 'stored') {
      tracked.gen++;
      this.scheduleRecheck(tracked);
    }
    return true;
  }

  /** The connection is up: retransmit everything unfinished. */
  onConnect(): void {
    const now = Date.now();
    for (const t of [...this.trackers.values()]) {
      t.rounds = 0;
      if (t.status === 'pending' && now >= this.deadlineOf(t)) this.fail(t);
      else this.transmit(t);
    }
  }

  /** The connection is down: answers in flight are void, deadlines keep running. */
  onDisconnect(): void {
    for (const t of this.trackers.values()) {
      t.gen++;
      this.unhold(t);
      this.armDeadline(t);
    }
  }

  private track(m: StoredMessage): Tracker {
    this.lastStamp = Math.max(this.lastStamp, m.composedAt ?? 0);
    const existing = this.trackers.get(m.key);
    if (existing) {
      existing.status = m.status ?? existing.status;
      existing.deadline = m.deadline ?? existing.deadline;
      existing.rank = m.composedAt ?? existing.rank;
      existing.heldSince = undefined;
      existing.prepared = false;
      existing.attempts = 0;
      existing.throttledMs = 0;
      return existing;
    }
    const t: Tracker = {
      key: m.key,
      id: m.id,
      to: m.to,
      conv: m.conv,
      rank: m.composedAt ?? 0,
      heldSince: undefined,
      prepared: false,
      body: m.body,
      reply: m.reply && { from: m.reply.from, id: m.reply.id },
      status: m.status ?? 'pending',
      deadline: m.deadline ?? 0,
      attempts: 0,
      rounds: 0,
      gen: 0,
      throttledMs: 0,
      throttled: undefined,
      timer: undefined,
      earlyTimer: undefined,
      sentAt: 0,
      heldAt: undefined,
      clean: true,
    };
    this.trackers.set(t.key, t);
    return t;
  }

  private transmit(t: Tracker): void {
    if (t.prepared) return;
    this.clearTimer(t);
    this.unhold(t);
    if (!this.deps.link.connected()) {
      this.armDeadline(t);
      return;
    }
    const gen = ++t.gen;
    if (t.status === 'pending') t.attempts++;
    if (t.sentAt !== 0) t.clean = false;
    t.sentAt = Date.now();
    const policy = this.deps.policy();
    const attempt = attemptTimeoutMs(policy, Math.max(1, t.attempts), this.deps.random);
    // A message the server holds cannot fail: its msg:A is awaited only about a round trip.
    const rto = this.serverRtt.timeout();
    const timeout =
      t.status === 'pending' || rto === undefined ? attempt : Math.min(attempt, 2 * rto);
    this.deps.link.sendMsgR(this.packetOf(t), timeout, (error, answer) =>
      this.onMsgA(t, gen, error, answer, false),
    );
    if (t.status === 'pending') this.scheduleEarly(t, gen, timeout, 1);
  }

  private packetOf(t: Tracker): MsgR {
    const packet: MsgR = { id: t.id, to: t.to, body: t.body };
    if (t.reply) packet.reply = t.reply;
    const earlier = this.pendingBefore(t);
    if (earlier) packet.after = earlier.id;
    return packet;
  }

  /**
   * The message this device wrote just before `t` in its conversation that
   * has no `msg:A` yet: the server stores `t` only after it (`after`).
   */
  private pendingBefore(t: Tracker): Tracker | undefined {
    let best: Tracker | undefined;
    for (const u of this.trackers.values()) {
      if (u === t || u.conv !== t.conv || u.status !== 'pending') continue;
      if (u.rank > t.rank || (u.rank === t.rank && u.key >= t.key)) continue;
      if (!best || u.rank > best.rank || (u.rank === best.rank && u.key > best.key)) best = u;
    }
    return best;
  }

  /**
   * The server holds `t` back until the message it follows is stored
   * (`out_of_order`): not a failed attempt, and the wait does not count
   * against its deadline. It is sent again as soon as an earlier message of
   * its conversation gets `msg:A` or fails ({@link releaseHeld}); asked
   * again on the longest backoff step as a safety net.
   */
  private holdForEarlier(t: Tracker): void {
    if (t.status === 'pending') t.attempts = Math.max(0, t.attempts - 1);
    t.heldSince ??= Date.now();
    this.clearTimer(t);
    t.timer = setTimeout(() => this.transmit(t), sentRetryCapMs(this.deps.policy()));
  }

  /** A message of `conv` is no longer pending: the ones held back for it go now. */
  private releaseHeld(conv: ConversationId): void {
    for (const u of [...this.trackers.values()]) {
      if (u.conv === conv && u.heldSince !== undefined) this.transmit(u);
    }
  }

  /** Counts the time `t` was held back for an earlier message as time the server held it. */
  private unhold(t: Tracker): void {
    if (t.heldSince === undefined) return;
    t.throttledMs += Date.now() - t.heldSince;
    t.heldSince = undefined;
  }

  /**
   * Within an attempt (the policy's timeout, which counts towards the
   * message's failure), copies of `msg:R` go out after the link's measured
   * retransmission timeout, doubling: a packet lost on a link that stays up
   * is repaired after about a round trip, not after the full ack timeout.
   * The copies carry the same id (the server deduplicates); any one's answer
   * ends the attempt; their own timeouts count for nothing.
   */
  private scheduleEarly(t: Tracker, gen: number, window: number, n: number): void {
    const rto = this.serverRtt.timeout();
    if (rto === undefined) return;
    const at = rto * (2 ** n - 1) * (0.9 + 0.2 * this.deps.random());
    if (at >= window) return;
    t.earlyTimer = setTimeout(
      () => {
        t.earlyTimer = undefined;
        if (t.gen !== gen || t.status !== 'pending' || !this.deps.link.connected()) return;
        t.clean = false;
        const remaining = Math.max(1, window - (Date.now() - t.sentAt));
        this.deps.link.sendMsgR(this.packetOf(t), remaining, (error, answer) =>
          this.onMsgA(t, gen, error, answer, true),
        );
        this.scheduleEarly(t, gen, window, n + 1);
      },
      Math.max(0, at - (Date.now() - t.sentAt)),
    );
  }

  private onMsgA(
    t: Tracker,
    gen: number,
    error: Error | null,
    answer: Answer<MsgA>,
    early: boolean,
  ): void {
    const full = error ? undefined : msgA2Schema.safeParse(answer);
    if (this.trackers.get(t.key) !== t) {
      // Finished meanwhile (ack:N came first): only its place in the log is news.
      if (full?.success) this.record(t.key, full.data.ts, full.data.seq);
      return;
    }
    if (t.gen !== gen) return;
    // An early copy's own timeout: the attempt's decides.
    if (error && early) return;
    if (!error) {
      // The first answer of this attempt ends it: later copies' answers are stale.
      gen = ++t.gen;
      this.clearEarly(t);
      if (t.clean && t.status === 'pending' && answer.ok) {
        this.serverRtt.sample(Date.now() - t.sentAt);
      }
    }
    // No answer on a link that looks up: it may be silently dead.
    if (error && this.deps.link.connected()) this.deps.link.suspect();
    const failure = error ? undefined : answer.ok ? undefined : answer.error;
    if (failure && THROTTLES.has(failure.code)) {
      return this.throttle(t, failure.code as Throttle['code'], failure.retryAfterMs);
    }
    this.unthrottle(t);
    if (failure?.code === 'out_of_order') return this.holdForEarlier(t);
    // The server already holds a message past `pending`: keep retransmitting it.
    if ((error || failure) && t.status !== 'pending') return this.scheduleRetransmit(t);
    const policy = this.deps.policy();
    if (error || (failure && TRANSIENT.has(failure.code))) {
      if (!this.deps.link.connected()) return this.armDeadline(t);
      if (t.attempts >= policy.maxAttempts || Date.now() >= this.deadlineOf(t)) {
        return this.fail(t);
      }
      if (error) return this.transmit(t); // the timeout has already been waited out
      // A quick refusal (internal, unavailable): wait as long as a timeout would have.
      const wait = failure?.retryAfterMs ?? attemptTimeoutMs(policy, t.attempts, this.deps.random);
      t.timer = setTimeout(() => this.transmit(t), wait);
      return;
    }
    if (failure) {
      // Permanent refusal (too_large, unknown_recipient, id_conflict...): retrying cannot help.
      this.fail(t);
      return;
    }
    const parsed = full?.success ? full : msgASchema.safeParse(answer);
    if (!parsed.success) return;
    if (t.heldAt === undefined) t.heldAt = Date.now();
    const seq = full?.success ? full.data.seq : undefined;
    void this.advance(t, 'sent', { ts: parsed.data.ts, seq }).then(() => {
      if (this.trackers.get(t.key) !== t || t.gen !== gen) return;
      if (t.status === 'pending') {
        // The write failed (reported): ask again later, the next msg:A writes it.
        this.clearTimer(t);
        const wait = attemptTimeoutMs(policy, Math.max(1, t.attempts), this.deps.random);
        t.timer = setTimeout(() => this.transmit(t), wait);
      } else if (isGroupId(t.to)) {
        // The server holds it; the members' progress arrives as receipts.
        this.finish(t);
      } else if (t.status === 'sent') this.scheduleRetransmit(t);
      else if (t.status === 'stored') this.scheduleRecheck(t);
    });
  }

  /**
   * The server holds the message back for now (`rate_limited`, `inbox_full`):
   * wait what it asked, then send it again with the same id. Not a failed
   * attempt, and the wait does not count against the deadline.
   */
  private throttle(t: Tracker, code: Throttle['code'], retryAfterMs: number | undefined): void {
    if (t.status === 'pending') t.attempts = Math.max(0, t.attempts - 1);
    const policy = this.deps.policy();
    const asked = retryAfterMs ?? attemptTimeoutMs(policy, 1, this.deps.random);
    const wait = throttleDelayMs(asked, this.deps.random);
    t.throttledMs += wait;
    if (asked >= THROTTLE_NOTICE_MS && t.throttled !== code) {
      t.throttled = code;
      this.deps.throttled(t.key, { code, to: t.to, retryAfterMs: asked });
    }
    this.clearTimer(t);
    t.timer = setTimeout(() => this.transmit(t), wait);
  }

  private unthrottle(t: Tracker): void {
    if (t.throttled === undefined) return;
    t.throttled = undefined;
    this.deps.throttled(t.key, undefined);
  }

  /** When a message without msg:A turns failed: its deadline plus the time it was held back. */
  private deadlineOf(t: Tracker): number {
    return t.deadline + t.throttledMs;
  }

  /**
   * Moves a tracked message forward on disk, then in memory; false when its
   * status did not move (its `seq` and `ts` are recorded all the same). A
   * failed write leaves the tracker as it was and is reported.
   */
  private async advance(
    t: Tracker,
    status: OutStatus,
    patch: { ts?: number; seq?: number } = {},
  ): Promise<boolean> {
    if (!canAdvance(t.status, status) && patch.seq === undefined) return false;
    let updated: StoredMessage | undefined;
    try {
      updated = await this.deps.storage.advance(t.key, status, patch);
    } catch (error) {
      this.deps.failed(error);
      return false;
    }
    const moves = updated?.status === status && canAdvance(t.status, status);
    if (moves) {
      const wasPending = t.status === 'pending';
      t.status = status;
      if (status === 'delivered' || status === 'failed') this.finish(t);
      if (wasPending) this.releaseHeld(t.conv);
    }
    if (updated) this.deps.changed(updated);
    return moves;
  }

  /** Takes a message out of the outbox's timers. */
  private finish(t: Tracker): void {
    this.clearTimer(t);
    this.unthrottle(t);
    if (this.trackers.get(t.key) === t) this.trackers.delete(t.key);
  }

  /** Records the server's `ts` and `seq` of a message whose status is already final. */
  private record(key: string, ts: number, seq: number): void {
    this.deps.storage.advance(key, 'sent', { ts, seq }).then(
      (updated) => {
        if (updated) this.deps.changed(updated);
      },
      (error: unknown) => this.deps.failed(error),
    );
  }

  private fail(t: Tracker): void {
    this.clearTimer(t);
    void this.advance(t, 'failed');
  }

  /**
   * The server holds it, the recipient's `ack:N` has not come: send it again
   * (the server pushes `msg:N` again or repeats `ack:N`), on the policy's
   * capped backoff, or sooner once delivery times are measured: after the
   * measured delivery timeout, doubling, never later than the policy says.
   */
  private scheduleRetransmit(t: Tracker): void {
    this.clearTimer(t);
    if (!this.deps.link.connected()) return;
    t.rounds++;
    const policyDelay = sentRetryDelayMs(this.deps.policy(), t.rounds, this.deps.random);
    const rto = this.deliveryRtt.timeout();
    const measured =
      rto === undefined
        ? policyDelay
        : rto * 2 ** (t.rounds - 1) * (0.9 + 0.2 * this.deps.random());
    t.timer = setTimeout(() => this.transmit(t), Math.min(policyDelay, measured));
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
      Math.max(0, this.deadlineOf(t) - Date.now()),
    );
  }

  private clearTimer(t: Tracker): void {
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.timer = undefined;
    this.clearEarly(t);
  }

  private clearEarly(t: Tracker): void {
    if (t.earlyTimer !== undefined) clearTimeout(t.earlyTimer);
    t.earlyTimer = undefined;
  }
}
