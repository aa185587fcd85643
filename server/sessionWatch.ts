import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { fail } from '../protocol';

/** What {@link watchSession} needs of the accounts. */
export interface SessionSource {
  /** When the device's session ends, or undefined once it has ended; `used` slides it. */
  sessionEnd(deviceId: string, used: boolean): number | undefined;
  /** The accounts' clock. */
  now(): number;
}

/**
 * Requests the app sends by itself (reconnects, safety-net polls, catch-up,
 * confirmations): they do not keep a session alive, so a device left
 * connected and unused expires like one left signed in and closed.
 */
const AUTOMATIC = new Set([
  'ping:R',
  'status:R',
  'offline:R',
  'offlineack:R',
  'ack:R',
  'conv:list',
]);

/**
 * Ends a live connection when its session does: at the session's expiry (a
 * timer, re-armed when the person's use moved it, and at least every
 * `checkMs`) and on any packet that
 * arrives after it has ended (expired, revoked or the account disabled) —
 * that packet is answered `unauthorized` and the connection closed, so the
 * app asks the person to sign in again as it does for a refused reconnect.
 */
export function watchSession(
  socket: Socket,
  deviceId: string,
  sessions: SessionSource,
  log: Logger,
  checkMs: number,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedFor = 0;
  const end = (why: string) => {
    clearTimeout(timer);
    log.info({ deviceId, why }, 'session ended: connection closed');
    socket.disconnect(true);
  };
  const arm = (until: number) => {
    if (until === armedFor && timer) return;
    clearTimeout(timer);
    armedFor = until;
    const delay = Math.min(Math.max(0, until - sessions.now()), checkMs);
    timer = setTimeout(check, delay);
    timer.unref?.();
  };
  const check = () => {
    timer = undefined;
    const until = sessions.sessionEnd(deviceId, false);
    if (until === undefined) end('expired');
    else arm(until);
  };
  socket.use((packet, next) => {
    const [event] = packet;
    const until = sessions.sessionEnd(deviceId, !AUTOMATIC.has(String(event)));
    if (until === undefined) {
      const callback = packet[packet.length - 1];
      if (typeof callback === 'function') {
        (callback as (answer: unknown) => void)(
          fail('unauthorized', 'this session has ended; sign in again'),
        );
      }
      end(`packet ${String(event)} after the session ended`);
      return;
    }
    arm(until);
    next();
  });
  socket.on('disconnect', () => clearTimeout(timer));
  check();
}
