import type { Logger } from 'pino';
import { fail } from '../protocol';
import { Outflow, type EngineConn } from './backpressure';
import type { ImIo, ImSocket } from './realtimeTypes';

/** How long a client refused for too many connections is told to wait. */
export const CONNECTION_RETRY_MS = 5_000;
/** How long a connection with too many requests in flight is told to wait. */
export const IN_FLIGHT_RETRY_MS = 100;

/**
 * Handshake middleware: at most `max` live connections per user (0 = no
 * limit); beyond it the handshake fails with `rate_limited` and
 * `data.retryAfterMs`. Runs after authentication (it needs the user). A
 * connection counts from the handshake until its transport closes, whether
 * or not it got as far as `connection`.
 */
export function limitConnectionsPerUser(io: ImIo, max: number): void {
  if (max <= 0) return;
  const live = new Map<string, number>();
  io.use((socket, next) => {
    const user = socket.data.userId;
    const n = live.get(user) ?? 0;
    if (n >= max) {
      const error = new Error('rate_limited') as Error & { data?: unknown };
      error.data = { retryAfterMs: CONNECTION_RETRY_MS };
      next(error);
      return;
    }
    live.set(user, n + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (live.get(user) ?? 1) - 1;
      if (left > 0) live.set(user, left);
      else live.delete(user);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    next();
  });
}

/** What one connection may have outstanding (0 = no limit). */
export interface ConnectionLimits {
  /** Requests whose answers have not left the server yet. */
  maxInFlight: number;
  /** Bytes queued for the client that it has not taken: beyond it the connection is closed. */
  maxUnsentBytes: number;
}

/**
 * Packet middleware of one connection. At most `maxInFlight` requests are
 * in flight at once — a request counts until its answer has left the
 * server's buffers, not merely until it is answered. At the cap the server
 * stops reading the connection until a slot frees (what was already read
 * beyond it is refused, `rate_limited` with `retryAfterMs`), so a client
 * that stops reading soon costs nothing more; requests for pages are
 * served one at a time, each after the previous page has left ({@link PAGED}). A connection whose unsent
 * output passes `maxUnsentBytes` (a client not reading while answers or
 * pushes pile up) is closed, with a log line. An event nobody handles is
 * answered `unknown_event` (when it has a callback) instead of silence.
 * Every request is given a callback if it had none, so that its answer
 * (which every handler gives exactly once) ends its turn in flight.
 */
export function guardPackets(socket: ImSocket, limits: ConnectionLimits, log: Logger): void {
  let inFlight = 0;
  let closing = false;
  const full = () => limits.maxInFlight > 0 && inFlight >= limits.maxInFlight;
  const outflow = new Outflow(socket.conn as unknown as EngineConn, (unsent) => {
    if (closing || limits.maxUnsentBytes <= 0 || unsent <= limits.maxUnsentBytes) return;
    closing = true;
    log.warn(
      { userId: socket.data.userId, deviceId: socket.data.deviceId, unsent },
      'connection closed: its client is not reading (unsent output past the bound)',
    );
    // After the current packet is queued: closing discards everything unsent.
    queueMicrotask(() => socket.disconnect(true));
  });
  socket.use((packet, next) => {
    const event = packet[0];
    const last: unknown = packet[packet.length - 1];
    const callback = packet.length > 1 && typeof last === 'function' ? last : undefined;
    if (closing) return;
    if (socket.listeners(event as 'msg:R').length === 0) {
      if (callback) {
        (callback as (a: unknown) => void)(
          fail('unknown_event', `no such event: ${String(event).slice(0, 64)}`),
        );
      }
      return;
    }
    if (full()) {
      if (callback) {
        (callback as (a: unknown) => void)(
          fail('rate_limited', 'too many requests in flight', IN_FLIGHT_RETRY_MS),
        );
      }
      return;
    }
    inFlight++;
    // At the cap, stop reading: the rest waits in the network, costing nothing.
    if (full()) outflow.reading(false);
    let done = false;
    const paged = PAGED.has(event as string);
    const finished = (answer: unknown) => {
      if (callback) (callback as (a: unknown) => void)(answer);
      if (done) return;
      done = true;
      // In flight until the answer has left the server's buffers.
      outflow.whenFlushed(() => {
        inFlight--;
        if (!full()) outflow.reading(true);
        if (paged) nextPage();
      });
    };
    if (callback) packet[packet.length - 1] = finished;
    else packet.push(finished);
    if (!paged) return next();
    // A page (up to 1 MiB) is read only once the one before it has left.
    pages.push(next);
    if (pages.length === 1) next();
  });
  /** The page before has left: the next one waiting is read. */
  const pages: (() => void)[] = [];
  const nextPage = () => {
    pages.shift();
    pages[0]?.();
  };
}

/**
 * Requests whose answer may be a whole page (up to 1 MiB): one connection's
 * are served one at a time, each once the page before it has left the
 * server, so a client that does not read cannot make the server build page
 * after page for it (a legitimate client asks for the next page after the last).
 */
const PAGED: ReadonlySet<string> = new Set(['history:R', 'offline:R']);
