import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';

/** The packets of the wire contract, by the name the article gives them. */
export type PacketName =
  | 'msg:R'
  | 'msg:A'
  | 'msg:N'
  | 'ack:R'
  | 'ack:A'
  | 'ack:N'
  | 'offline:R'
  | 'offline:A'
  | 'offlineack:R'
  | 'offlineack:A'
  | 'presence:N'
  | 'conv:list'
  | 'conv:A'
  | 'history:R'
  | 'history:A'
  | 'read:R'
  | 'read:A'
  | 'read:N'
  | 'status:R'
  | 'status:A'
  | 'typing:R'
  | 'typing:A'
  | 'typing:N'
  | 'receipt:N'
  | 'ping:R'
  | 'ping:A';

const ANSWER_OF: Record<string, PacketName> = {
  'msg:R': 'msg:A',
  'ack:R': 'ack:A',
  'offline:R': 'offline:A',
  'offlineack:R': 'offlineack:A',
  'conv:list': 'conv:A',
  'history:R': 'history:A',
  'read:R': 'read:A',
  'status:R': 'status:A',
  'typing:R': 'typing:A',
  'ping:R': 'ping:A',
};

/** Handshake refusals of the server that the proxy passes on (with their `data`). */
const REFUSALS: ReadonlySet<string> = new Set([
  'unauthorized',
  'protocol_unsupported',
  'rate_limited',
]);

/** Packets that name one message by `id` in their first argument. */
const NAMES_MESSAGE: ReadonlySet<string> = new Set(['msg:R', 'msg:N', 'ack:R', 'ack:N']);

/**
 * The message id a packet is about: its own `id` (`msg:R`, `msg:N`,
 * `ack:R`, `ack:N`), or for an answer (`msg:A`, `ack:A`) the `id` of the
 * request it answers.
 */
function messageIdOf(packet: string, args: unknown[]): string | undefined {
  if (!NAMES_MESSAGE.has(packet)) return undefined;
  const first = args[0] as { id?: unknown } | undefined;
  return typeof first?.id === 'string' ? first.id : undefined;
}

/**
 * Decides whether to drop one packet (seen by the proxy in flight); `id` is
 * the message it is about (for an answer: the id its request named), if any.
 */
export type DropRule = (packet: PacketName, args: unknown[], id: string | undefined) => boolean;

/**
 * A Socket.IO man-in-the-middle between clients and the im-server. Each
 * client connection gets its own upstream connection with the same auth;
 * every event, and every acknowledgement (the A packets), passes through
 * `rules`, which may drop it. Nothing in the code under test is changed.
 */
export interface FaultProxy {
  url: string;
  /** Where new upstream connections go. */
  target: string;
  /** Active drop rules; a packet is dropped when any rule says so. */
  rules: Set<DropRule>;
  /** Drops the next `count` packets named `packet` (optionally only those matching `match`). */
  dropNext(packet: PacketName, count?: number, match?: (args: unknown[]) => boolean): void;
  /** Drops the next `count` packets named `packet` about message `id` (answers: of a request naming it). */
  dropNextFor(packet: PacketName, id: string, count?: number): void;
  /** How many packets named `packet` about message `id` the proxy has seen (dropped ones included). */
  seenFor(packet: PacketName, id: string): number;
  /**
   * A silent partition: every packet in both directions is dropped, and no
   * connection is closed (heartbeats between client and proxy go on), until
   * the returned function is called.
   */
  partition(): () => void;
  /** Resolves on the next `packet` the proxy sees: true if it was dropped. */
  waitFor(packet: PacketName): Promise<boolean>;
  /** Packets seen and dropped, by name. */
  seen: Map<PacketName, number>;
  dropped: Map<PacketName, number>;
  /** Cuts every client connection (the client sees a transport close and reconnects). */
  cutAll(): void;
  /** Cuts each client connection with probability `fraction`; returns how many. */
  cutRandom(fraction: number, random?: () => number): number;
  /** Number of client connections open now. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a fault-injecting proxy in front of `target`. */
export async function createFaultProxy(target: string): Promise<FaultProxy> {
  // Plain HTTP (the JSON API) passes through untouched.
  const http = createServer((req, res) => {
    const upstream = request(
      new URL(req.url ?? '/', proxy.target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const io = new Server(http, { maxHttpBufferSize: 4 * 1024 * 1024 });
  const rules = new Set<DropRule>();
  const seen = new Map<PacketName, number>();
  const dropped = new Map<PacketName, number>();
  const seenById = new Map<string, number>();
  const upstreams = new Map<string, { socket: ClientSocket; buffered: unknown[][] }>();

  const waiters: { packet: PacketName; resolve: (dropped: boolean) => void }[] = [];
  const decide = (packet: PacketName, args: unknown[], id: string | undefined): boolean => {
    seen.set(packet, (seen.get(packet) ?? 0) + 1);
    if (id !== undefined)
      seenById.set(`${packet} ${id}`, (seenById.get(`${packet} ${id}`) ?? 0) + 1);
    for (const rule of rules) {
      if (rule(packet, args, id)) {
        dropped.set(packet, (dropped.get(packet) ?? 0) + 1);
        return true;
      }
    }
    return false;
  };
  const shouldDrop = (
    packet: PacketName,
    args: unknown[],
    id = messageIdOf(packet, args),
  ): boolean => {
    const drop = decide(packet, args, id);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.packet === packet) waiters.splice(i, 1)[0]!.resolve(drop);
    }
    return drop;
  };

  const proxy: FaultProxy = {
    url: '',
    target,
    rules,
    seen,
    dropped,
    dropNext(packet, count = 1, match) {
      let left = count;
      const rule: DropRule = (p, args) => {
        if (p !== packet || left <= 0 || (match && !match(args))) return false;
        left--;
        if (left === 0) rules.delete(rule);
        return true;
      };
      rules.add(rule);
    },
    dropNextFor(packet, id, count = 1) {
      let left = count;
      const rule: DropRule = (p, _args, about) => {
        if (p !== packet || about !== id || left <= 0) return false;
        left--;
        if (left === 0) rules.delete(rule);
        return true;
      };
      rules.add(rule);
    },
    seenFor: (packet, id) => seenById.get(`${packet} ${id}`) ?? 0,
    partition() {
      const everything: DropRule = () => true;
      rules.add(everything);
      return () => {
        rules.delete(everything);
      };
    },
    cutAll() {
      for (const socket of io.sockets.sockets.values()) socket.conn.close();
    },
    waitFor: (packet) => new Promise((resolve) => waiters.push({ packet, resolve })),
    cutRandom(fraction, random = Math.random) {
      let cut = 0;
      for (const socket of io.sockets.sockets.values()) {
        if (random() < fraction) {
          socket.conn.close();
          cut++;
        }
      }
      return cut;
    },
    connections: () => io.sockets.sockets.size,
    close: async () => {
      for (const { socket } of upstreams.values()) socket.disconnect();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };

  io.use((socket, next) => {
    const upstream = connect(proxy.target, {
      auth: socket.handshake.auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const entry = { socket: upstream, buffered: [] as unknown[][] };
    // Buffer server pushes that arrive before the client side is wired up.
    upstream.onAny((...args: unknown[]) => entry.buffered.push(args));
    upstream.once('connect', () => {
      upstreams.set(socket.id, entry);
      next();
    });
    upstream.once('connect_error', (error) => {
      upstream.close();
      // The server refused (its middleware answered): pass the refusal on.
      // The server is unreachable: look unreachable too, so the client retries.
      if (REFUSALS.has(error.message)) {
        const refusal = new Error(error.message) as Error & { data?: unknown };
        refusal.data = (error as Error & { data?: unknown }).data;
        next(refusal);
      } else socket.conn.close();
    });
  });

  io.on('connection', (socket: ServerSocket) => {
    const entry = upstreams.get(socket.id)!;
    const upstream = entry.socket;
    const forwardDown = (event: string, ...args: unknown[]) => {
      if (!shouldDrop(event as PacketName, args)) socket.emit(event, ...args);
    };
    upstream.offAny();
    upstream.onAny(forwardDown);
    for (const [event, ...args] of entry.buffered) forwardDown(event as string, ...args);
    entry.buffered = [];

    socket.onAny((event: string, ...args: unknown[]) => {
      const callback =
        typeof args.at(-1) === 'function' ? (args.pop() as (a: unknown) => void) : undefined;
      const id = messageIdOf(event, args);
      if (shouldDrop(event as PacketName, args, id)) return;
      if (!callback) {
        upstream.emit(event, ...args);
        return;
      }
      upstream.emit(event, ...args, (answer: unknown) => {
        const name = ANSWER_OF[event];
        if (name && shouldDrop(name, [answer], id)) return;
        callback(answer);
      });
    });
    socket.on('disconnect', () => {
      upstreams.delete(socket.id);
      upstream.disconnect();
    });
    upstream.on('disconnect', () => socket.conn.close());
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return proxy;
}
