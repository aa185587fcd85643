import type { Logger } from 'pino';
import { fail, type Answer } from '../protocol';

/** Sends a handler's one answer. */
export type Reply = (answer: Answer<object>) => void;

/**
 * Wraps a handler so that whatever arrives (no payload, no callback, extra
 * arguments, a throwing handler) the client gets one answer and the server
 * stays up. The result is one function for every connection: Socket.IO calls
 * it with `this` set to the connection, which `fn` gets first (so nothing is
 * allocated per connection and event).
 */
export function handler<S>(
  log: Logger,
  event: string,
  fn: (socket: S, payload: unknown, reply: Reply) => Promise<void>,
) {
  return function (this: S, ...args: unknown[]) {
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? (last as (a: unknown) => void) : undefined;
    let answered = false;
    const reply: Reply = (answer) => {
      if (answered) return;
      answered = true;
      callback?.(answer);
    };
    const payload = callback && args.length === 1 ? undefined : args[0];
    fn(this, payload, reply).catch((error: unknown) => {
      log.error({ err: error, event }, 'handler failed');
      reply(fail('internal', 'internal error'));
    });
  };
}
