import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  type ClientPolicy,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '../protocol';
import { probeTimeoutMs, throttleDelayMs } from './retry';

/** The connection indicator's states (UI contract `data-state`). */
export type ConnectionState = 'connected' | 'connecting' | 'offline';

/** The engine's typed Socket.IO socket. */
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the supervisor tells the engine. */
export interface ConnectionHooks {
  /** The socket connected (also after every reconnect). */
  connected(): void;
  /** The socket lost its connection (answers in flight are void). */
  disconnected(): void;
  /** The state shown to the person changed. */
  state(state: ConnectionState): void;
  /** The server refused the session token. */
  rejected(): void;
  /** The server does not speak this protocol version. */
  incompatible(range: { min: number; max: number }): void;
  /** Something worth a log line (a dead link found, a refused connection). */
  failed(error: unknown): void;
}

/** Options of {@link ConnectionSupervisor}. */
export interface ConnectionOptions {
  url: string;
  token: string;
  protocol?: number;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  policy: () => ClientPolicy;
  random: () => number;
  hooks: ConnectionHooks;
}

/**
 * The socket's lifecycle: connects, reconnects (also where Socket.IO does
 * not: after a server-side disconnect and after a refused handshake, the
 * latter after the `retryAfterMs` a `rate_limited` refusal names), and
 * finds silent partitions: when an answer is overdue on a link that looks
 * connected, it probes with `ping:R`; no answer and nothing else heard from
 * the server within `probeTimeoutMs` → it closes the transport so that
 * Socket.IO reconnects. Idle links rely on Socket.IO's heartbeat.
 */
export class ConnectionSupervisor {
  private socket: ClientSocket | undefined;
  private current: ConnectionState = 'offline';
  private closed = false;
  private probing = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every packet heard from the server (events, answers, heartbeat pings). */
  private heard = 0;

  constructor(private readonly options: ConnectionOptions) {}

  /** The state shown to the person. */
  get state(): ConnectionState {
    return this.current;
  }

  /** The socket (undefined before `open()`). */
  get io(): ClientSocket | undefined {
    return this.socket;
  }

  /** True while the socket is connected. */
  connected(): boolean {
    return this.socket?.connected === true;
  }

  /** Emits `event` and resolves with its answer; rejects when not connected or on timeout. */
  ask(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const socket = this.socket as unknown as Socket | undefined;
    if (!socket?.connected) return Promise.reject(new Error('not connected'));
    return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<unknown>;
  }

  /** Creates the socket and starts connecting; `wire` adds the engine's event handlers first. */
  open(wire: (socket: ClientSocket) => void): void {
    const { options } = this;
    const socket: ClientSocket = io(options.url, {
      auth: { token: options.token, protocol: options.protocol ?? PROTOCOL_VERSION },
      forceNew: true,
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      ...options.socketOptions,
    });
    this.socket = socket;
    this.setState('connecting');
    const hear = () => {
      this.heard++;
    };
    socket.io.on('packet', hear);
    socket.io.on('ping', hear);
    socket.on('connect', () => {
      this.setState('connected');
      options.hooks.connected();
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      this.setState(socket.active ? 'connecting' : 'offline');
      options.hooks.disconnected();
      // Socket.IO does not reconnect after a server-side disconnect; we do.
      if (reason === 'io server disconnect') this.retryLater(this.reconnectDelayMs());
    });
    socket.on('connect_error', (error) => this.onConnectError(socket, error));
    socket.io.on('reconnect_attempt', () => this.setState('connecting'));
    wire(socket);
  }

  /**
   * An answer is overdue on a link that looks connected: probe it once
   * (concurrent calls share the probe) and force a reconnect if it is dead.
   */
  suspect(): void {
    const socket = this.socket;
    if (this.closed || this.probing || !socket?.connected) return;
    this.probing = true;
    const heardBefore = this.heard;
    const timeout = probeTimeoutMs(this.options.policy());
    socket
      .timeout(timeout)
      .emitWithAck('ping:R', {})
      .then(
        () => undefined,
        () => {
          // An older server does not answer ping:R: anything else heard means alive.
          if (this.closed || this.socket !== socket || !socket.connected) return;
          if (this.heard !== heardBefore) return;
          this.options.hooks.failed(
            new Error(`no answer from the server within ${timeout} ms: reconnecting`),
          );
          this.setState('connecting');
          // Closing the transport makes Socket.IO's reconnection run.
          socket.io.engine.close();
        },
      )
      .finally(() => {
        this.probing = false;
      });
  }

  /** Disconnects for good and stops every timer. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.removeAllListeners();
    this.socket?.io.removeAllListeners();
    this.socket?.disconnect();
    this.setState('offline');
  }

  private onConnectError(socket: ClientSocket, error: Error): void {
    if (this.closed) return;
    const data = (error as { data?: { min?: number; max?: number; retryAfterMs?: number } }).data;
    if (error.message === 'unauthorized') {
      this.setState('offline');
      this.options.hooks.rejected();
    } else if (error.message === 'protocol_unsupported') {
      this.setState('offline');
      this.options.hooks.incompatible({ min: data?.min ?? 0, max: data?.max ?? 0 });
      socket.disconnect();
    } else if (error.message === 'rate_limited') {
      // Too many connections: the server says when to come back (a middleware
      // refusal is not retried by Socket.IO).
      const asked = data?.retryAfterMs ?? this.reconnectDelayMs();
      this.options.hooks.failed(new Error(`connection refused: rate_limited for ${asked} ms`));
      this.setState('connecting');
      this.retryLater(throttleDelayMs(asked, this.options.random));
    } else if (!socket.active) {
      this.setState('offline');
      this.retryLater(this.reconnectDelayMs());
    } else {
      this.setState('offline');
    }
  }

  private reconnectDelayMs(): number {
    return this.options.socketOptions?.reconnectionDelayMax ?? 5_000;
  }

  private retryLater(delay: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.socket && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  private setState(state: ConnectionState): void {
    if (this.current === state) return;
    this.current = state;
    this.options.hooks.state(state);
  }
}
