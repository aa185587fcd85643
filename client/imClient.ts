import mitt, { type Emitter } from 'mitt';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import {
  checkBodySize,
  clientPolicySchema,
  DEFAULT_CLIENT_POLICY,
  directConversationId,
  groupChangeASchema,
  groupCreateASchema,
  groupInfoASchema,
  infoASchema,
  isGroupId,
  replyExcerpt,
  MAX_BODY_BYTES,
  TYPING_SEND_INTERVAL_MS,
  typingNSchema,
  presenceNSchema,
  userIdSchema,
  type ClientPolicy,
  type ConversationId,
  type ErrorCode,
  type GroupInfoA,
  type InfoA,
  type PresenceChange,
} from '../protocol';
import { AckSender } from './acks';
import { fetchPolicy } from './api';
import { CatchUp } from './catchUp';
import { ConnectionSupervisor, type ConnectionState } from './connection';
import { newMessageId } from './ids';
import { Incoming } from './incoming';
import { positionOf } from './order';
import { Outbox, type Throttle } from './outbox';
import { retryBudgetMs, syncIntervalMs } from './retry';
import {
  messageKey,
  type Added,
  type ClientStorage,
  type Conversation,
  type ConversationSummary,
  type HistoryQuery,
  type StoredMessage,
} from './storage';
import { ConversationSync } from './sync';
import { Throttles } from './throttles';

export type { ConnectionState } from './connection';
export type { Throttle } from './outbox';

/** Events the engine emits for the UI. */
export type ImClientEvents = {
  /** A message this device shows changed: status, `seq`, `ts` (already persisted). */
  status: StoredMessage;
  /**
   * A message new to this device: received, or written by the person on
   * another device (already persisted; never emitted twice for one message).
   */
  message: StoredMessage;
  /** A conversation's read position or unread count changed. */
  conversation: Conversation;
  /** Connection state changed. */
  connection: ConnectionState;
  /** A contact came online or went offline. */
  presence: PresenceChange;
  /** The server refused the session token: sign in again. */
  'session-rejected': undefined;
  /** The server does not speak this client's protocol version. */
  incompatible: { min: number; max: number };
  /** Someone is typing to the person (ephemeral; gone after a few seconds of silence). */
  typing: { conv: ConversationId; from: string };
  /**
   * The server holds a message back for now (`rate_limited`: too much
   * traffic; `inbox_full`: the recipient's inbox): the engine sends it again
   * after `retryAfterMs`. `undefined` when nothing is held back any more.
   */
  throttled: Throttle | undefined;
  /** Something failed that the engine will retry (for logs). */
  error: unknown;
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

/** A request the server refused (`code` is its error code), or that could not be sent. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
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
  /** Durable storage for this user on this device. */
  storage: ClientStorage;
  /** Retry policy; fetched from `/api/config` when absent. */
  policy?: ClientPolicy;
  /** Extra Socket.IO options (reconnection delays, transports). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Messages asked for per `offline:R`. */
  pullLimit?: number;
  /** Source of randomness for jitter (tests may fix it). */
  random?: () => number;
  /** Protocol version announced to the server (tests of old clients only). */
  protocol?: number;
}

/**
 * The reliable-delivery engine of one device, wired from parts that each
 * keep one guarantee: the socket's lifecycle, reconnects and silent-partition
 * probes ({@link ConnectionSupervisor}), the durable outbox with
 * retransmission under the same id and throttling as wait-and-retry
 * ({@link Outbox}), pushes persisted before they are confirmed
 * ({@link Incoming}) with each `ack:R` retransmitted until `ack:A`
 * ({@link AckSender}), catch-up from the device's cursor ({@link CatchUp})
 * and conversation sync ({@link ConversationSync}). Runs in the browser, in
 * Electron's renderer and in Node (tests, benchmark).
 */
export class ImClient {
  /** Typed events for the UI. */
  readonly events: Emitter<ImClientEvents> = mitt<ImClientEvents>();
  /** The signed-in user's id. */
  readonly userId: string;
  private readonly storage: ClientStorage;
  private policy: ClientPolicy = DEFAULT_CLIENT_POLICY;
  private closed = false;
  private syncTimer: ReturnType<typeof setInterval> | undefined;
  private syncing: Promise<void> | undefined;
  private readonly typingSent = new Map<ConversationId, number>();
  private readonly link: ConnectionSupervisor;
  private readonly outbox: Outbox;
  private readonly acks: AckSender;
  private readonly incoming: Incoming;
  private readonly catchUp: CatchUp;
  private readonly sync: ConversationSync;
  private readonly throttles: Throttles;

  constructor(private readonly options: ImClientOptions) {
    this.userId = options.userId;
    this.storage = options.storage;
    const random = options.random ?? Math.random;
    const policy = () => this.policy;
    const failed = (error: unknown) => {
      if (!this.closed) this.events.emit('error', error);
    };
    this.link = new ConnectionSupervisor({
      url: options.url,
      token: options.token,
      protocol: options.protocol,
      socketOptions: options.socketOptions,
      policy,
      random,
      hooks: {
        connected: () => this.onConnect(),
        disconnected: () => this.onDisconnect(),
        state: (state) => this.events.emit('connection', state),
        rejected: () => this.events.emit('session-rejected', undefined),
        incompatible: (range) => this.events.emit('incompatible', range),
        failed,
      },
    });
    const connected = () => this.link.connected();
    const ask = (event: string, payload: unknown, timeoutMs: number) =>
      this.link.ask(event, payload, timeoutMs);
    const suspect = () => this.link.suspect();
    this.throttles = new Throttles((t) => this.events.emit('throttled', t));
    this.outbox = new Outbox({
      userId: this.userId,
      storage: this.storage,
      policy,
      random,
      changed: (m) => this.events.emit('status', m),
      throttled: (key, t) => this.throttles.set(key, t),
      failed,
      link: {
        connected,
        suspect,
        sendMsgR: (packet, timeoutMs, callback) =>
          this.link.io?.timeout(timeoutMs).emit('msg:R', packet, callback),
      },
    });
    this.acks = new AckSender({
      storage: this.storage,
      policy,
      random,
      failed,
      link: { connected, ask, suspect },
    });
    this.catchUp = new CatchUp({
      userId: this.userId,
      storage: this.storage,
      policy,
      pullLimit: options.pullLimit,
      link: { connected, ask },
      added: (added) => this.show(added),
      failed,
    });
    this.sync = new ConversationSync({
      userId: this.userId,
      storage: this.storage,
      policy,
      link: { connected, ask },
      added: (added) => this.show(added),
      conversation: (row) => this.events.emit('conversation', row),
      failed,
    });
    this.incoming = new Incoming({
      userId: this.userId,
      storage: this.storage,
      acks: this.acks,
      outbox: this.outbox,
      show: (added) => this.show(added),
      status: (m) => this.events.emit('status', m),
      gap: () => this.catchUp.request(),
      membership: () => this.guard(this.sync.refreshList()),
    });
  }

  /** Current connection state. */
  get connection(): ConnectionState {
    return this.link.state;
  }

  /** What the server holds back now (see the `throttled` event). */
  get throttled(): Throttle | undefined {
    return this.throttles.current;
  }

  /** The retry policy in force. */
  get retryPolicy(): ClientPolicy {
    return this.policy;
  }

  /** The conversation with `peer` (see `directConversationId`). */
  conversationWith(peer: string): ConversationId {
    return directConversationId(this.userId, peer);
  }

  /** Loads the outbox and the confirmations owed, learns the policy and connects. */
  async start(): Promise<void> {
    this.policy = this.options.policy ?? (await this.loadPolicy());
    await this.outbox.load();
    await this.acks.load();
    if (this.closed) return;
    this.link.open((socket) => {
      socket.on('msg:N', (packet) => this.guard(this.incoming.onMsgN(packet)));
      socket.on('ack:N', (packet) => this.guard(this.incoming.onAckN(packet)));
      socket.on('read:N', (packet) => this.guard(this.sync.onReadN(packet)));
      socket.on('receipt:N', (packet) => this.guard(this.incoming.onReceiptN(packet)));
      socket.on('typing:N', (packet) => {
        const parsed = typingNSchema.safeParse(packet);
        if (parsed.success) this.events.emit('typing', parsed.data);
      });
      socket.on('presence:N', (packet) => {
        const parsed = presenceNSchema.safeParse(packet);
        if (!parsed.success) return;
        for (const change of parsed.data.changes) this.events.emit('presence', change);
      });
    });
    this.outbox.armAll();
    this.syncTimer = setInterval(() => {
      if (!this.link.connected()) return;
      this.catchUp.request();
      void this.sync.pollStatuses();
    }, syncIntervalMs(this.policy));
  }

  /** Disconnects and stops all timers. Storage stays open (the caller owns it). */
  close(): void {
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.outbox.close();
    this.acks.close();
    this.catchUp.close();
    this.link.close();
  }

  /**
   * Sends `body` to `to` (as a reply to `options.reply`, a sequenced message
   * of the same conversation, when given). The message is stored locally
   * before its first transmission, so it survives a restart; its progress
   * arrives as `status` events.
   */
  async send(
    to: string,
    body: string,
    options: { reply?: StoredMessage } = {},
  ): Promise<StoredMessage> {
    const group = isGroupId(to);
    if (!group && !userIdSchema.safeParse(to).success) {
      throw new SendError('invalid_input', 'bad recipient');
    }
    if (body.length === 0) throw new SendError('invalid_input', 'empty message');
    if (!checkBodySize(body)) {
      throw new SendError('too_large', `message is larger than ${MAX_BODY_BYTES} bytes`);
    }
    const id = newMessageId();
    const now = Date.now();
    const composedAt = this.outbox.stamp(now);
    const conv = group ? (to as ConversationId) : directConversationId(this.userId, to);
    const answered = options.reply;
    if (answered && (answered.conv !== conv || answered.seq === undefined || answered.kind)) {
      throw new SendError('invalid_input', 'a reply answers a stored message of its conversation');
    }
    const written: StoredMessage = {
      key: messageKey(this.userId, id),
      id,
      from: this.userId,
      to,
      conv,
      peer: group ? '' : to,
      direction: 'out',
      body,
      // Strictly after this device's earlier messages: the order written.
      ...positionOf(undefined, 0, composedAt),
      status: 'pending',
      deadline: now + retryBudgetMs(this.policy),
      outbox: true,
      composedAt,
    };
    if (answered?.seq !== undefined) {
      written.reply = {
        from: answered.from,
        id: answered.id,
        seq: answered.seq,
        excerpt: replyExcerpt(answered.body),
      };
    }
    // Its place in this device's order is taken now, in the order `send` is called.
    this.outbox.prepare(written);
    let message: StoredMessage;
    try {
      message = await this.storage.addOutgoing(written);
    } catch (error) {
      this.outbox.forget(written.key);
      throw error;
    }
    // Typing again after this is a new message being typed: say so at once.
    this.typingSent.delete(conv);
    this.events.emit('status', message);
    this.outbox.start(message);
    return message;
  }

  /**
   * Sends a failed message again, with the same id. False when it is not
   * failed, or when it cannot go anywhere: a group the person is no longer in.
   */
  async resend(id: string): Promise<boolean> {
    if (this.closed) return false;
    const message = await this.storage.get(messageKey(this.userId, id));
    if (message && (await this.undeliverable(message))) return false;
    return this.outbox.resend(id, Date.now() + retryBudgetMs(this.policy));
  }

  /**
   * Resends every failed message that can still go (only those of `conv`
   * when given); returns how many.
   */
  async resendAllFailed(conv?: ConversationId): Promise<number> {
    const failed = await this.failedMessages(conv);
    const results = await Promise.all(failed.map((m) => this.resend(m.id)));
    return results.filter(Boolean).length;
  }

  /**
   * Outgoing messages of this device that failed and wait for the person
   * (not those to a group they are no longer in: nothing can send those);
   * only those of `conv` when given.
   */
  async failedMessages(conv?: ConversationId): Promise<StoredMessage[]> {
    const failed = await this.storage.outgoingByStatus(['failed']);
    const open: StoredMessage[] = [];
    for (const m of failed) {
      if (conv !== undefined && m.conv !== conv) continue;
      if (!(await this.undeliverable(m))) open.push(m);
    }
    return open;
  }

  /** A message to a group the person has left or was removed from. */
  private async undeliverable(message: StoredMessage): Promise<boolean> {
    if (!isGroupId(message.to)) return false;
    return (await this.storage.conversation(message.conv))?.left === true;
  }

  /** Conversations, most recent first. */
  conversations(): Promise<ConversationSummary[]> {
    return this.storage.conversations();
  }

  /** One conversation as this device knows it. */
  conversation(conv: ConversationId): Promise<Conversation | undefined> {
    return this.storage.conversation(conv);
  }

  /**
   * A page of one conversation, newest first. The cache is whole only down
   * to where this device has loaded the server's history (a device gets
   * everything after it signs in, but only some older messages); a page that
   * reaches below that, or runs out, is first completed from the server
   * (while connected).
   */
  async history(conv: ConversationId, query: HistoryQuery): Promise<StoredMessage[]> {
    let page = await this.storage.history(conv, query);
    for (let fetched = 0; fetched < 20 && this.link.connected(); fetched++) {
      const row = await this.storage.conversation(conv);
      if (!row || row.complete) break;
      const oldest = page[page.length - 1];
      const floor = row.historyBefore;
      const short = page.length < query.limit;
      const belowFloor = floor !== undefined && oldest !== undefined && oldest.posA < floor;
      if (!short && !belowFloor) break;
      try {
        if (!(await this.sync.older(conv, query.limit))) break;
      } catch (error) {
        this.events.emit('error', error);
        break;
      }
      page = await this.storage.history(conv, query);
    }
    return page;
  }

  /** The person has `conv` open and visible: everything in it is read, on every device. */
  async markRead(conv: ConversationId): Promise<void> {
    const row = await this.storage.conversation(conv);
    if (!row) return;
    await this.sync.markRead(conv, row.lastSeq);
  }

  /**
   * The person is typing in `conv`: tells the other side, at most once every
   * {@link TYPING_SEND_INTERVAL_MS} per conversation, only while connected.
   */
  typing(conv: ConversationId): void {
    const now = Date.now();
    const socket = this.link.io;
    if (!socket?.connected || now - (this.typingSent.get(conv) ?? 0) < TYPING_SEND_INTERVAL_MS) {
      return;
    }
    this.typingSent.set(conv, now);
    // Ephemeral: a lost typing:R is not worth a retry; its answer says nothing.
    socket.emit('typing:R', { conv }, () => undefined);
  }

  // ---- groups and receipts (protocol 2) -----------------------------------

  /** Creates a group with `members` (the person is its first admin); its id. */
  async createGroup(name: string, members: string[]): Promise<ConversationId> {
    return groupCreateASchema.parse(await this.request('group:create', { name, members })).conv;
  }

  /** Renames a group (admins). */
  async renameGroup(conv: ConversationId, name: string): Promise<void> {
    groupChangeASchema.parse(await this.request('group:rename', { conv, name }));
  }

  /** Adds people to a group (admins). */
  async addMembers(conv: ConversationId, users: string[]): Promise<void> {
    groupChangeASchema.parse(await this.request('group:add', { conv, users }));
  }

  /** Removes people from a group (admins). */
  async removeMembers(conv: ConversationId, users: string[]): Promise<void> {
    groupChangeASchema.parse(await this.request('group:remove', { conv, users }));
  }

  /** Makes members admins (admins). */
  async makeAdmins(conv: ConversationId, users: string[]): Promise<void> {
    groupChangeASchema.parse(await this.request('group:admin', { conv, users }));
  }

  /** Leaves a group. */
  async leaveGroup(conv: ConversationId): Promise<void> {
    groupChangeASchema.parse(await this.request('group:leave', { conv }));
  }

  /** A group's name and members (members only). */
  async groupInfo(conv: ConversationId): Promise<GroupInfoA> {
    return groupInfoASchema.parse(await this.request('group:info', { conv }));
  }

  /**
   * Who has one of the person's messages, and who read it, with times (only
   * reads that may be shown: see `receiptsOff` and `readsHidden`).
   */
  async messageInfo(conv: ConversationId, id: string): Promise<Omit<InfoA, 'ok'>> {
    const { ok: _ok, ...info } = infoASchema.parse(await this.request('info:R', { conv, id }));
    return info;
  }

  /** One request: its answer when `ok`, else a {@link RequestError}. */
  private async request(event: string, payload: unknown): Promise<unknown> {
    const socket = this.link.io as unknown as Socket | undefined;
    if (!socket?.connected) throw new RequestError('offline', 'not connected');
    const answer = (await socket
      .timeout(this.policy.ackTimeoutMs * 2)
      .emitWithAck(event, payload)) as { ok: boolean; error?: { code: string; message: string } };
    if (!answer.ok) {
      throw new RequestError(answer.error?.code ?? 'internal', answer.error?.message ?? 'refused');
    }
    return answer;
  }

  /**
   * Resolves once this device owes the server no confirmation: every
   * `ack:R` answered by `ack:A` (or `not_found`) and forgotten on disk.
   */
  acksSettled(): Promise<void> {
    return this.acks.idle();
  }

  /** Resolves once the current catch-up and sync (if any) have finished. */
  async settled(): Promise<void> {
    await this.catchUp.settled();
    while (this.syncing) await this.syncing;
  }

  // ---- connection -----------------------------------------------------

  /**
   * The server's policy (saved for the next start); when the server cannot
   * be asked, the saved one, else the default. The failure is reported.
   */
  private async loadPolicy(): Promise<ClientPolicy> {
    try {
      const policy = await fetchPolicy(this.options.url);
      await this.storage.setMeta('policy', policy);
      return policy;
    } catch (error) {
      this.events.emit('error', error);
      const saved = clientPolicySchema.safeParse(await this.storage.getMeta('policy'));
      return saved.success ? saved.data : DEFAULT_CLIENT_POLICY;
    }
  }

  private onConnect(): void {
    this.outbox.onConnect();
    this.acks.onConnect();
    this.catchUp.connected();
    this.syncing ??= this.sync.refresh().finally(() => {
      this.syncing = undefined;
    });
  }

  private onDisconnect(): void {
    if (this.closed) return;
    this.outbox.onDisconnect();
    this.acks.onDisconnect();
  }

  // ---- incoming -------------------------------------------------------

  /**
   * Handles the failure of work started by a push: reported as an `error`
   * event (the push is repaired by the next pull), never lost silently;
   * after `close()` (storage may be gone) it is expected and dropped.
   */
  private guard(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      if (!this.closed) this.events.emit('error', error);
    });
  }

  private show(added: Added): void {
    for (const m of added.fresh) this.events.emit('message', m);
    for (const m of added.changed) this.events.emit('status', m);
  }
}
