import { type ClientPolicy } from '../protocol';
import { ackTimeoutMs, throttleDelayMs } from './retry';
import type { ClientStorage, PendingAck } from './storage';

/** What the ack sender needs from the connection. */
export interface AckLink {
  /** True while the socket is connected. */
  connected(): boolean;
  /** Emits `ack:R` and resolves with its answer; rejects on timeout or disconnect. */
  ask(event: 'ack:R', payload: { from: string; id: string }, timeoutMs: number): Promise<unknown>;
  /** An answer did not come on a link that looks connected. */
  suspect(): void;
}

/** Dependencies of {@link AckSender}. */
export interface AckSenderDeps {
  storage: ClientStorage;
  link: AckLink;
  policy: () => ClientPolicy;
  random: () => number;
  /** A storage call failed, or the server refused in a way that is retried. */
  failed: (error: unknown) => void;
}

interface Owed {
  ack: PendingAck;
  /** Transmissions since the last (re)connect. */
  rounds: number;
  /** Bumped on each transmission and disconnect: stale answers are ignored. */
  gen: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * What an answer to `ack:R` means: `settled` (`ok`, or `not_found`: the
 * message is no longer there, e.g. deleted by retention, or is not this
 * device's to confirm, so asking again cannot help), `wait` (the server
 * asks to come back after `retryAfterMs`), or `retry` (anything else).
 */
function meaning(answer: unknown): { kind: 'settled' | 'retry' } | { kind: 'wait'; ms: number } {
  if (typeof answer !== 'object' || answer === null) return { kind: 'retry' };
  const a = answer as { ok?: unknown; error?: { code?: unknown; retryAfterMs?: unknown } };
  if (a.ok === true) return { kind: 'settled' };
  if (a.error?.code === 'not_found') return { kind: 'settled' };
  if (typeof a.error?.retryAfterMs === 'number') return { kind: 'wait', ms: a.error.retryAfterMs };
  return { kind: 'retry' };
}

/**
 * The device's confirmations (`ack:R`): each one is persisted with the
 * message it confirms ({@link ClientStorage.addFromServer} with
 * `pendingAck`) and retransmitted on the `sent` backoff (each wait for
 * `ack:A` is one step of it) until `ack:A`
 * arrives (or `not_found`: the server no longer has the message), across
 * reconnects and restarts.
 */
export class AckSender {
  private readonly owed = new Map<string, Owed>();
  private readonly idleWaiters: (() => void)[] = [];
  /** Answered confirmations to forget on disk in the next batch. */
  private settling: { e: Owed; gen: number }[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly deps: AckSenderDeps) {}

  /** Loads the confirmations owed from storage (after a restart). */
  async load(): Promise<void> {
    for (const ack of await this.deps.storage.pendingAcks()) this.entry(ack);
  }

  /** Confirms a message just persisted with its pending ack: send now. */
  owe(ack: PendingAck): void {
    if (this.closed) return;
    const e = this.entry(ack);
    e.rounds = 0;
    this.transmit(e);
  }

  /** The connection is up: send every confirmation still owed. */
  onConnect(): void {
    for (const e of this.owed.values()) {
      e.rounds = 0;
      this.transmit(e);
    }
  }

  /** The connection is down: answers in flight are void, nothing is sent until it returns. */
  onDisconnect(): void {
    for (const e of this.owed.values()) {
      e.gen++;
      this.clearTimer(e);
    }
  }

  /** How many confirmations are owed now. */
  get size(): number {
    return this.owed.size;
  }

  /** Resolves once no confirmation is owed (each one answered and forgotten on disk). */
  idle(): Promise<void> {
    if (this.owed.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops every timer; nothing is sent after this. */
  close(): void {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const e of this.owed.values()) this.clearTimer(e);
    this.owed.clear();
  }

  private entry(ack: PendingAck): Owed {
    let e = this.owed.get(ack.key);
    if (!e) {
      e = { ack, rounds: 0, gen: 0, timer: undefined };
      this.owed.set(ack.key, e);
    }
    return e;
  }

  private transmit(e: Owed): void {
    this.clearTimer(e);
    if (this.closed || !this.deps.link.connected()) return;
    const gen = ++e.gen;
    e.rounds++;
    const timeout = ackTimeoutMs(this.deps.policy(), e.rounds, this.deps.random);
    this.deps.link.ask('ack:R', { from: e.ack.from, id: e.ack.id }, timeout).then(
      (answer) => this.answered(e, gen, answer),
      () => {
        if (e.gen !== gen || this.closed) return;
        // No answer on a link that looks up: it may be silently dead.
        if (this.deps.link.connected()) this.deps.link.suspect();
        // The timeout was the backoff: send it again now.
        this.transmit(e);
      },
    );
  }

  private answered(e: Owed, gen: number, answer: unknown): void {
    if (e.gen !== gen || this.closed || this.owed.get(e.ack.key) !== e) return;
    const said = meaning(answer);
    if (said.kind === 'wait') {
      this.later(e, throttleDelayMs(said.ms, this.deps.random));
      return;
    }
    if (said.kind === 'retry') {
      this.deps.failed(new Error(`ack:R ${e.ack.key} refused: ${JSON.stringify(answer)}`));
      this.later(e);
      return;
    }
    // Forget it on disk first (in a batch with others answered now); only then stop retransmitting.
    this.settling.push({ e, gen });
    this.flushTimer ??= setTimeout(() => this.flush(), 0);
  }

  /** Forgets every answered confirmation in one write, then drops them from memory. */
  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.settling;
    this.settling = [];
    if (this.closed || batch.length === 0) return;
    this.deps.storage.acksSettled(batch.map(({ e }) => e.ack.key)).then(
      () => {
        for (const { e, gen } of batch) {
          if (this.owed.get(e.ack.key) !== e || e.gen !== gen) continue;
          this.clearTimer(e);
          this.owed.delete(e.ack.key);
        }
        if (this.owed.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      },
      (error: unknown) => {
        this.deps.failed(error);
        for (const { e } of batch) this.later(e);
      },
    );
  }

  /** Sends it again after `delay` (default: the backoff of its round). */
  private later(e: Owed, delay?: number): void {
    this.clearTimer(e);
    if (this.closed || !this.deps.link.connected()) return;
    const wait = delay ?? ackTimeoutMs(this.deps.policy(), e.rounds, this.deps.random);
    e.timer = setTimeout(() => this.transmit(e), wait);
  }

  private clearTimer(e: Owed): void {
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = undefined;
  }
}
