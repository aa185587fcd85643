import mitt, { type Emitter } from 'mitt';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  ackNSchema,
  checkBodySize,
  clientPolicySchema,
  DEFAULT_CLIENT_POLICY,
  MAX_BODY_BYTES,
  msgASchema,
  msgNSchema,
  offlineASchema,
  OFFLINE_MAX_LIMIT,
  presenceNSchema,
  userIdSchema,
  type Answer,
  type ClientPolicy,
  type ClientToServerEvents,
  type ErrorCode,
  type MsgA,
  type MsgN,
  type PresenceChange,
  type ServerToClientEvents,
} from '../protocol';
import { fetchPolicy } from './api';
import { newMessageId } from './ids';
import { attemptTimeoutMs, retryBudgetMs, sentRetryDelayMs, storedRecheckMs } from './retry';
import { canAdvance, type OutStatus } from './status';
import {
  messageKey,
  type ClientStorage,
  type Conversation,
  type HistoryQuery,
  type StoredMessage,
} from './storage';

/** The connection indicator's states (UI contract `data-state`). */
export type ConnectionState = 'connected' | 'connecting' | 'offline';

/** Events the engine emits for the UI. */
export type ImClientEvents = {
  /** An outgoing message changed status (already persisted). */
  status: StoredMessage;
  /** A new incoming message (already persisted; never emitted twice for one message). */
  message: StoredMessage;
  /** Connection state changed. */
  connection: ConnectionState;
  /** A contact came online or went offline. */
  presence: PresenceChange;
  /** The server refused the session token: sign in again. */
  'session-rejected': undefined;
};

/** Why `send` refused a message. */
export class SendError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'invalid_input' | 'too_large'>,
    message: string,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** Options of {@link ImClient}. */
export interface ImClientOptions {
  /** Server base URL, e.g. `http://192.168.1.5:7420`. */
  url: string;
  /** Session token from register / login. */
  token: string;
  /** The signed-in user's id. */
  userId: string;
  /** Durable storage for this user. */
  storage: ClientStorage;
  /** Retry policy; fetched from `/api/config` when absent. */
  policy?: ClientPolicy;
  /** Extra Socket.IO options (reconnection delays, transports). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Messages asked for per `offline:R`. */
  pullLimit?: number;
  /** Source of randomness for jitter (tests may fix it). */
  random?: () => number;
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The reliable-delivery engine: durable outbox and history, retransmission
 * with the same id, dedup of incoming messages, offline pull. Runs in the
 * browser, in Electron's renderer and in Node (tests, benchmark).
 */
export class ImClient {
  /** Typed events for the UI. */
  readonly events: Emitter<ImClientEvents> = mitt<ImClientEvents>();
  /** The signed-in user's id. */
  readonly userId: string;
  private readonly storage: ClientStorage;
  private readonly random: () => number;
  private policy: ClientPolicy = DEFAULT_CLIENT_POLICY;
  private socket: ClientSocket | undefined;
  private readonly trackers = new Map<string, Tracker>();
  private state: ConnectionState = 'offline';
  private pulling: Promise<void> | undefined;
  private pullWanted = false;
  private closed = false;

  constructor(private readonly options: ImClientOptions) {
    this.userId = options.userId;
    this.storage = options.storage;
    this.random = options.random ?? Math.random;
  }

  /** Current connection state. */
  get connection(): ConnectionState {
    return this.state;
  }

  /** The retry policy in force. */
  get retryPolicy(): ClientPolicy {
    return this.policy;
  }

  /** Loads the outbox, learns the policy and connects. */
  async start(): Promise<void> {
    this.policy = this.options.policy ?? (await this.loadPolicy());
    const unfinished = await this.storage.outgoingByStatus(['pending', 'sent', 'stored']);
    for (const m of unfinished) this.track(m);
    if (this.closed) return;
    const socket: ClientSocket = io(this.options.url, {
      auth: { token: this.options.token },
      forceNew: true,
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      ...this.options.socketOptions,
    });
    this.socket = socket;
    this.setState('connecting');
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => {
      this.onDisconnect();
      // Socket.IO does not reconnect after a server-side disconnect; we do.
      if (reason === 'io server disconnect') this.reconnectLater();
    });
    socket.on('connect_error', (error) => {
      this.setState('offline');
      if (error.message === 'unauthorized') {
        this.events.emit('session-rejected', undefined);
      } else if (!socket.active) {
        this.reconnectLater();
      }
    });
    socket.io.on('reconnect_attempt', () => this.setState('connecting'));
    socket.on('msg:N', (packet) => void this.onMsgN(packet));
    socket.on('ack:N', (packet) => void this.onAckN(packet));
    socket.on('presence:N', (packet) => {
      const parsed = presenceNSchema.safeParse(packet);
      if (!parsed.success) return;
      for (const change of parsed.data.changes) this.events.emit('presence', change);
    });
    for (const t of this.trackers.values()) this.armDeadline(t);
  }

  /** Disconnects and stops all timers. Storage stays open (the caller owns it). */
  close(): void {
    this.closed = true;
    for (const t of this.trackers.values()) this.clearTimer(t);
    this.trackers.clear();
    this.socket?.removeAllListeners();
    this.socket?.io.removeAllListeners();
    this.socket?.disconnect();
    this.setState('offline');
  }

  /**
   * Sends `body` to `to`. The message is stored locally before its first
   * transmission, so it survives a restart; its progress arrives as
   * `status` events.
   */
  async send(to: string, body: string): Promise<StoredMessage> {
    if (!userIdSchema.safeParse(to).success) throw new SendError('invalid_input', 'bad recipient');
    if (body.length === 0) throw new SendError('invalid_input', 'empty message');
    if (!checkBodySize(body)) {
      throw new SendError('too_large', `message is larger than ${MAX_BODY_BYTES} bytes`);
    }
    const id = newMessageId();
    const now = Date.now();
    const message: StoredMessage = {
      key: messageKey(this.userId, id),
      id,
      from: this.userId,
      to,
      peer: to,
      direction: 'out',
      body,
      sortTs: now,
      status: 'pending',
      deadline: now + retryBudgetMs(this.policy),
    };
    await this.storage.addOutgoing(message);
    this.events.emit('status', message);
    if (!this.closed) this.transmit(this.track(message));
    return message;
  }

  /** Sends a failed message again, with the same id. False when it is not failed. */
  async resend(id: string): Promise<boolean> {
    const key = messageKey(this.userId, id);
    const deadline = Date.now() + retryBudgetMs(this.policy);
    const updated = await this.storage.advance(key, 'pending', { deadline });
    if (!updated || this.closed) return false;
    this.events.emit('status', updated);
    this.transmit(this.track(updated));
    return true;
  }

  /** Resends every failed message; returns how many. */
  async resendAllFailed(): Promise<number> {
    const failed = await this.storage.outgoingByStatus(['failed']);
    const results = await Promise.all(failed.map((m) => this.resend(m.id)));
    return results.filter(Boolean).length;
  }

  /** Outgoing messages that failed and wait for the user. */
  failedMessages(): Promise<StoredMessage[]> {
    return this.storage.outgoingByStatus(['failed']);
  }

  /** Conversations, most recent first. */
  conversations(): Promise<Conversation[]> {
    return this.storage.conversations();
  }

  /** A page of one conversation, newest first. */
  history(peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    return this.storage.history(peer, query);
  }

  /** Clears a conversation's unread count. */
  markRead(peer: string): Promise<void> {
    return this.storage.markRead(peer);
  }

  /** Resolves once the current offline pull (if any) has finished. */
  async settled(): Promise<void> {
    while (this.pulling) await this.pulling;
  }

  // ---- outgoing -------------------------------------------------------

  private async loadPolicy(): Promise<ClientPolicy> {
    try {
      const policy = await fetchPolicy(this.options.url);
      await this.storage.setMeta('policy', policy);
      return policy;
    } catch {
      const saved = clientPolicySchema.safeParse(await this.storage.getMeta('policy'));
      return saved.success ? saved.data : DEFAULT_CLIENT_POLICY;
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

  private get connected(): boolean {
    return this.socket?.connected === true;
  }

  private transmit(t: Tracker): void {
    this.clearTimer(t);
    const socket = this.socket;
    if (!socket || !this.connected) {
      this.armDeadline(t);
      return;
    }
    const gen = ++t.gen;
    if (t.status === 'pending') t.attempts++;
    const timeout = attemptTimeoutMs(this.policy, Math.max(1, t.attempts), this.random);
    socket
      .timeout(timeout)
      .emit(
        'msg:R',
        { id: t.id, to: t.to, body: t.body },
        (error: Error | null, answer: Answer<MsgA>) => this.onMsgA(t, gen, error, answer),
      );
  }

  private onMsgA(t: Tracker, gen: number, error: Error | null, answer: Answer<MsgA>): void {
    if (t.gen !== gen || this.trackers.get(t.key) !== t) return;
    const failure = error ? undefined : answer.ok ? undefined : answer.error;
    // The server already holds a message past `pending`: keep retransmitting it.
    if ((error || failure) && t.status !== 'pending') return this.scheduleRetransmit(t);
    if (error || (failure && TRANSIENT.has(failure.code))) {
      if (!this.connected) return this.armDeadline(t);
      if (t.attempts >= this.policy.maxAttempts || Date.now() >= t.deadline) return this.fail(t);
      if (error) return this.transmit(t); // the timeout has already been waited out
      // A quick refusal (rate_limited, internal): wait as long as a timeout would have.
      t.timer = setTimeout(
        () => this.transmit(t),
        attemptTimeoutMs(this.policy, t.attempts, this.random),
      );
      return;
    }
    if (failure) {
      // Permanent refusal (too_large, unknown_recipient, id_conflict...): retrying cannot help.
      this.fail(t);
      return;
    }
    const parsed = msgASchema.safeParse(answer);
    if (!parsed.success) return;
    this.advance(t, 'sent', parsed.data.ts);
    if (t.status === 'sent') this.scheduleRetransmit(t);
    else if (t.status === 'stored') this.scheduleRecheck(t);
  }

  private async onAckN(packet: unknown): Promise<void> {
    const parsed = ackNSchema.safeParse(packet);
    if (!parsed.success) return;
    const { id, offline, ts } = parsed.data;
    const key = messageKey(this.userId, id);
    const status: OutStatus = offline ? 'stored' : 'delivered';
    let t = this.trackers.get(key);
    if (!t) {
      // A failed message the server did hold after all: show the truth.
      const saved = await this.storage.get(key);
      if (saved?.direction !== 'out' || !saved.status || !canAdvance(saved.status, status)) return;
      if (this.closed) return;
      t = this.trackers.get(key) ?? this.track(saved);
    }
    if (!this.advance(t, status, ts)) return;
    if (t.status === 'stored') {
      t.gen++;
      this.scheduleRecheck(t);
    }
  }

  /** Moves a tracked message forward in memory and on disk; false when not allowed. */
  private advance(t: Tracker, status: OutStatus, ts?: number): boolean {
    if (!canAdvance(t.status, status)) return false;
    t.status = status;
    if (status === 'delivered' || status === 'failed') {
      this.clearTimer(t);
      this.trackers.delete(t.key);
    }
    const patch = ts === undefined ? {} : { ts };
    void this.storage.advance(t.key, status, patch).then((updated) => {
      if (updated) this.events.emit('status', updated);
    });
    return true;
  }

  private fail(t: Tracker): void {
    this.advance(t, 'failed');
  }

  private scheduleRetransmit(t: Tracker): void {
    this.clearTimer(t);
    if (!this.connected) return;
    t.rounds++;
    t.timer = setTimeout(
      () => this.transmit(t),
      sentRetryDelayMs(this.policy, t.rounds, this.random),
    );
  }

  private scheduleRecheck(t: Tracker): void {
    this.clearTimer(t);
    if (!this.connected) return;
    t.timer = setTimeout(() => this.transmit(t), storedRecheckMs(this.policy));
  }

  /** While disconnected, a message without msg:A fails when its budget runs out. */
  private armDeadline(t: Tracker): void {
    this.clearTimer(t);
    if (t.status !== 'pending') return;
    t.timer = setTimeout(
      () => {
        t.timer = undefined;
        if (t.status === 'pending' && !this.connected) this.fail(t);
      },
      Math.max(0, t.deadline - Date.now()),
    );
  }

  private clearTimer(t: Tracker): void {
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.timer = undefined;
  }

  // ---- connection -----------------------------------------------------

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.events.emit('connection', state);
  }

  private reconnectLater(): void {
    const delay = this.options.socketOptions?.reconnectionDelayMax ?? 5_000;
    setTimeout(() => {
      if (!this.closed && this.socket && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  private onConnect(): void {
    this.setState('connected');
    const now = Date.now();
    for (const t of [...this.trackers.values()]) {
      t.rounds = 0;
      if (t.status === 'pending' && now >= t.deadline) this.fail(t);
      else this.transmit(t);
    }
    this.requestPull();
  }

  private onDisconnect(): void {
    if (this.closed) return;
    this.setState(this.socket?.active ? 'connecting' : 'offline');
    for (const t of this.trackers.values()) {
      t.gen++;
      this.armDeadline(t);
    }
  }

  // ---- incoming -------------------------------------------------------

  private incoming(p: MsgN): StoredMessage {
    return {
      key: messageKey(p.from, p.id),
      id: p.id,
      from: p.from,
      to: p.to,
      peer: p.from,
      direction: 'in',
      body: p.body,
      sortTs: p.ts,
      ts: p.ts,
    };
  }

  private async onMsgN(packet: unknown): Promise<void> {
    const parsed = msgNSchema.safeParse(packet);
    if (!parsed.success || parsed.data.to !== this.userId) return;
    const { from, id } = parsed.data;
    // Persist first, then acknowledge: an ack:R means "it is in my history".
    const fresh = await this.storage.addIncoming([this.incoming(parsed.data)]);
    if (this.connected) this.socket?.emit('ack:R', { from, id }, () => undefined);
    for (const m of fresh) this.events.emit('message', m);
  }

  private requestPull(): void {
    this.pullWanted = true;
    this.pulling ??= this.pullLoop().finally(() => {
      this.pulling = undefined;
    });
  }

  /**
   * Pulls `offline:R` pages until `more` is false. The server pages each
   * connection with a cursor that returns to the start after a page with
   * `more: false`; a pass that lost a page or an ack is therefore followed
   * by passes until one that began at the start completes cleanly.
   */
  private async pullLoop(): Promise<void> {
    const limit = Math.min(this.options.pullLimit ?? OFFLINE_MAX_LIMIT, OFFLINE_MAX_LIMIT);
    const timeout = this.policy.ackTimeoutMs * 2;
    // A new connection's cursor is at the start.
    let atStart = true;
    while (this.pullWanted && this.connected && !this.closed) {
      this.pullWanted = false;
      let clean = atStart;
      let more = true;
      while (more && this.connected && !this.closed) {
        try {
          const socket = this.socket!;
          atStart = false;
          const answer = offlineASchema.parse(
            await socket.timeout(timeout).emitWithAck('offline:R', { limit }),
          );
          more = answer.more;
          atStart = !more;
          const fresh = await this.storage.addIncoming(
            answer.messages.filter((m) => m.to === this.userId).map((m) => this.incoming(m)),
          );
          for (const m of fresh) this.events.emit('message', m);
          if (answer.messages.length > 0) {
            const ids = answer.messages.map(({ from, id }) => ({ from, id }));
            const ack = await socket.timeout(timeout).emitWithAck('offlineack:R', { ids });
            if (!ack.ok) throw new Error(ack.error.message);
          }
        } catch {
          clean = false;
          await sleep(this.policy.ackTimeoutMs);
          if (!more) break;
        }
      }
      if (!clean) this.pullWanted = true;
    }
  }
}
