import { fail } from '../protocol';
import type { ImIo, ImSocket } from './realtime';

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

/**
 * Packet middleware of one connection: at most `maxInFlight` requests
 * unanswered at once (0 = no limit; beyond it `rate_limited` with
 * `retryAfterMs`), and an event nobody handles is answered `unknown_event`
 * (when it has a callback) instead of silence. Every request is given a
 * callback if it had none, so that its answer (which every handler gives
 * exactly once) ends its turn in flight.
 */
export function guardPackets(socket: ImSocket, maxInFlight: number): void {
  let inFlight = 0;
  socket.use((packet, next) => {
    const event = packet[0];
    const last: unknown = packet[packet.length - 1];
    const callback = packet.length > 1 && typeof last === 'function' ? last : undefined;
    if (socket.listeners(event as 'msg:R').length === 0) {
      if (callback) {
        (callback as (a: unknown) => void)(
          fail('unknown_event', `no such event: ${String(event).slice(0, 64)}`),
        );
      }
      return;
    }
    if (maxInFlight > 0 && inFlight >= maxInFlight) {
      if (callback) {
        (callback as (a: unknown) => void)(
          fail('rate_limited', 'too many requests in flight', IN_FLIGHT_RETRY_MS),
        );
      }
      return;
    }
    inFlight++;
    let done = false;
    const finished = (answer: unknown) => {
      if (!done) {
        done = true;
        inFlight--;
      }
      if (callback) (callback as (a: unknown) => void)(answer);
    };
    if (callback) packet[packet.length - 1] = finished;
    else packet.push(finished);
    next();
  });
}
