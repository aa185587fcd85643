import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol';

/** A bare Socket.IO client, as a third-party client would use it. */
export type RawSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Connects with `token` (and, when given, announcing `protocol`; without it
 * the socket is a wire-v1 client); resolves once connected, rejects with the
 * connect_error.
 */
export function rawConnect(url: string, token: unknown, protocol?: unknown): Promise<RawSocket> {
  const socket: RawSocket = io(url, {
    auth: {
      ...(token === undefined ? {} : { token }),
      ...(protocol === undefined ? {} : { protocol }),
    },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Emits an untyped event with an acknowledgement and resolves with the answer. */
export function ask(socket: RawSocket, event: string, ...args: unknown[]): Promise<unknown> {
  const untyped = socket as unknown as Socket;
  return untyped.timeout(5_000).emitWithAck(event, ...args);
}

/** Resolves with the next `event` pushed to `socket`. */
export function nextPush<T = unknown>(socket: RawSocket, event: string): Promise<T> {
  return new Promise((resolve) => (socket as unknown as Socket).once(event, resolve));
}

/** Collects every push of `event` on `socket`, from now on. */
export function collect(socket: RawSocket, event: string): unknown[] {
  const seen: unknown[] = [];
  (socket as unknown as Socket).on(event, (packet: unknown) => seen.push(packet));
  return seen;
}

/** Raw protocol-2 sockets of a test file, closed together by `closeAll()`. */
export function rawSockets(url: () => string) {
  const open: RawSocket[] = [];
  return {
    /** Connects as `session` (protocol 2 unless told). */
    async connect(session: { token: string }, protocol: number = 2): Promise<RawSocket> {
      const socket = await rawConnect(url(), session.token, protocol);
      open.push(socket);
      return socket;
    },
    /** Closes every socket connected so far. */
    closeAll(): void {
      for (const socket of open.splice(0)) socket.close();
    },
  };
}
