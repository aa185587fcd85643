import mitt, { type Emitter } from 'mitt';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  ackN2Schema,
  checkBodySize,
  clientPolicySchema,
  DEFAULT_CLIENT_POLICY,
  directConversationId,
  directPeer,
  groupChangeASchema,
  groupCreateASchema,
  groupInfoASchema,
  infoASchema,
  isGroupId,
  logMsgNSchema,
  MAX_BODY_BYTES,
  receiptNSchema,
  TYPING_SEND_INTERVAL_MS,
  typingNSchema,
  presenceNSchema,
  PROTOCOL_VERSION,
  userIdSchema,
  type ClientPolicy,
  type ClientToServerEvents,
  type ConversationId,
  type ErrorCode,
  type GroupInfoA,
  type InfoA,
  type PresenceChange,
  type ServerToClientEvents,
} from '../protocol';
import { fetchPolicy } from './api';
import { CatchUp } from './catchUp';
import { newMessageId } from './ids';
import { positionOf } from './order';
import { Outbox } from './outbox';
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

/** The connection indicator's states (UI contract `data-state`). */
export type ConnectionState = 'connected' | 'connecting' | 'offline';

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

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The reliable-delivery engine of one device: durable outbox with
 * retransmission under the same id ({@link Outbox}), a cache of the
 * person's conversation logs with dedup, catch-up from the device's cursor
 * ({@link CatchUp}), and conversation sync ({@link ConversationSync}). Runs
 * in the browser, in Electron's renderer and in Node (tests, benchmark).
 */
export class ImClient {
  /** Typed events for the UI. */
  readonly events: Emitter<ImClientEvents> = mitt<ImClientEvents>();
  /** The signed-in user's id. */
  readonly userId: string;
  private readonly storage: ClientStorage;
  private policy: ClientPolicy = DEFAULT_CLIENT_POLICY;
  private socket: ClientSocket | undefined;
  private state: ConnectionState = 'offline';
  private closed = false;
  private syncTimer: ReturnType<typeof setInterval> | undefined;
  private syncing: Promise<void> | undefined;
  private readonly typingSent = new Map<ConversationId, number>();
  private readonly outbox: Outbox;
  private readonly catchUp: CatchUp;
  private readonly sync: ConversationSync;

  constructor(private readonly options: ImClientOptions) {
    this.userId = options.userId;
    this.storage = options.storage;
    const connected = () => this.socket?.connected === true;
    const ask = (event: string, payload: unknown, timeoutMs: number) => {
      const socket = this.socket as unknown as Socket | undefined;
      if (!socket) return Promise.reject(new Error('not connected'));
      return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<unknown>;
    };
    const policy = () => this.policy;
    const failed = (error: unknown) => this.events.emit('error', error);
    this.outbox = new Outbox({
      userId: this.userId,
      storage: this.storage,
      policy,
      random: options.random ?? Math.random,
      changed: (m) => this.events.emit('status', m),
      link: {
        connected,
        sendMsgR: (packet, timeoutMs, callback) =>
          this.socket?.timeout(timeoutMs).emit('msg:R', packet, callback),
      },
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
  }

  /** Current connection state. */
  get connection(): ConnectionState {
    return this.state;
  }

  /** The retry policy in force. */
  get retryPolicy(): ClientPolicy {
    return this.policy;
  }

  /** The conversation with `peer` (see `directConversationId`). */
  conversationWith(peer: string): ConversationId {
    return directConversationId(this.userId, peer);
  }

  /** Loads the outbox, learns the policy and connects. */
  async start(): Promise<void> {
    this.policy = this.options.policy ?? (await this.loadPolicy());
    await this.outbox.load();
    if (this.closed) return;
    const socket: ClientSocket = io(this.options.url, {
      auth: {
        token: this.options.token,
        protocol: this.options.protocol ?? PROTOCOL_VERSION,
      },
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
      } else if (error.message === 'protocol_unsupported') {
        const data = (error as { data?: { min?: number; max?: number } }).data;
        this.events.emit('incompatible', { min: data?.min ?? 0, max: data?.max ?? 0 });
        socket.disconnect();
      } else if (!socket.active) {
        this.reconnectLater();
      }
    });
    socket.io.on('reconnect_attempt', () => this.setState('connecting'));
    socket.on('msg:N', (packet) => this.guard(this.onMsgN(packet)));
    socket.on('ack:N', (packet) => this.guard(this.onAckN(packet)));
    socket.on('read:N', (packet) => this.guard(this.sync.onReadN(packet)));
    socket.on('receipt:N', (packet) => this.guard(this.onReceiptN(packet)));
    socket.on('typing:N', (packet) => {
      const parsed = typingNSchema.safeParse(packet);
      if (parsed.success) this.events.emit('typing', parsed.data);
    });
    socket.on('presence:N', (packet) => {
      const parsed = presenceNSchema.safeParse(packet);
      if (!parsed.success) return;
      for (const change of parsed.data.changes) this.events.emit('presence', change);
    });
    this.outbox.armAll();
    this.syncTimer = setInterval(() => {
      if (!this.socket?.connected) return;
      this.catchUp.request();
      void this.sync.pollStatuses();
    }, syncIntervalMs(this.policy));
  }

  /** Disconnects and stops all timers. Storage stays open (the caller owns it). */
  close(): void {
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.outbox.close();
    this.catchUp.close();
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
    const conv = group ? (to as ConversationId) : directConversationId(this.userId, to);
    const written: StoredMessage = {
      key: messageKey(this.userId, id),
      id,
      from: this.userId,
      to,
      conv,
      peer: group ? '' : to,
      direction: 'out',
      body,
      ...positionOf(undefined, 0, now),
      status: 'pending',
      deadline: now + retryBudgetMs(this.policy),
      outbox: true,
      composedAt: now,
    };
    const message = await this.storage.addOutgoing(written);
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

  /** Resends every failed message that can still go; returns how many. */
  async resendAllFailed(): Promise<number> {
    const failed = await this.failedMessages();
    const results = await Promise.all(failed.map((m) => this.resend(m.id)));
    return results.filter(Boolean).length;
  }

  /**
   * Outgoing messages of this device that failed and wait for the person
   * (not those to a group they are no longer in: nothing can send those).
   */
  async failedMessages(): Promise<StoredMessage[]> {
    const failed = await this.storage.outgoingByStatus(['failed']);
    const open: StoredMessage[] = [];
    for (const m of failed) if (!(await this.undeliverable(m))) open.push(m);
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
    for (let fetched = 0; fetched < 20 && this.socket?.connected; fetched++) {
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
    if (
      !this.socket?.connected ||
      now - (this.typingSent.get(conv) ?? 0) < TYPING_SEND_INTERVAL_MS
    ) {
      return;
    }
    this.typingSent.set(conv, now);
    this.socket.emit('typing:R', { conv }, () => {});
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

  /** Who has one of the person's messages, and who read it, with times. */
  async messageInfo(conv: ConversationId, id: string): Promise<InfoA['recipients']> {
    return infoASchema.parse(await this.request('info:R', { conv, id })).recipients;
  }

  /** One request: its answer when `ok`, else a {@link RequestError}. */
  private async request(event: string, payload: unknown): Promise<unknown> {
    const socket = this.socket as unknown as Socket | undefined;
    if (!socket?.connected) throw new RequestError('offline', 'not connected');
    const answer = (await socket
      .timeout(this.policy.ackTimeoutMs * 2)
      .emitWithAck(event, payload)) as { ok: boolean; error?: { code: string; message: string } };
    if (!answer.ok) {
      throw new RequestError(answer.error?.code ?? 'internal', answer.error?.message ?? 'refused');
    }
    return answer;
  }

  /** Resolves once the current catch-up and sync (if any) have finished. */
  async settled(): Promise<void> {
    await this.catchUp.settled();
    while (this.syncing) await this.syncing;
  }

  // ---- connection -----------------------------------------------------

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
    this.outbox.onConnect();
    this.catchUp.connected();
    this.syncing ??= this.sync.refresh().finally(() => {
      this.syncing = undefined;
    });
  }

  private onDisconnect(): void {
    if (this.closed) return;
    this.setState(this.socket?.active ? 'connecting' : 'offline');
    this.outbox.onDisconnect();
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

  private async onMsgN(packet: unknown): Promise<void> {
    const parsed = logMsgNSchema.safeParse(packet);
    if (!parsed.success) return;
    const m = parsed.data;
    const group = isGroupId(m.conv);
    if (!group) {
      if (m.to !== this.userId && m.from !== this.userId) return;
      if (directPeer(m.conv, this.userId) === undefined) return;
    } else if (m.to !== m.conv) return;
    // Persist first, then acknowledge: an ack:R means "it is on this device".
    const added = await this.storage.addFromServer(this.userId, [m]);
    if (this.socket?.connected) this.socket.emit('ack:R', { from: m.from, id: m.id }, () => {});
    this.show(added);
    // A gap in the conversation's seq: a push to this device was missed.
    if (added.gap) this.catchUp.request();
    // A membership change: the group's name, or whether the person is in it, may differ.
    if (m.kind === 'system') this.guard(this.sync.refreshList());
  }

  private async onReceiptN(packet: unknown): Promise<void> {
    const parsed = receiptNSchema.safeParse(packet);
    if (!parsed.success) return;
    for (const m of await this.storage.applyReceipts(this.userId, parsed.data)) {
      this.events.emit('status', m);
    }
  }

  private async onAckN(packet: unknown): Promise<void> {
    const parsed = ackN2Schema.safeParse(packet);
    if (!parsed.success) return;
    if (await this.outbox.onAckN(parsed.data)) return;
    // One of the person's messages from another device.
    const { id, offline, ts, seq } = parsed.data;
    const updated = await this.storage.advance(
      messageKey(this.userId, id),
      offline ? 'stored' : 'delivered',
      { ts, ...(seq !== undefined ? { seq } : {}) },
    );
    if (updated) this.events.emit('status', updated);
  }
}
