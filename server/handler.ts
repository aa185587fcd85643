import type { Logger } from 'pino';
import { fail, type Answer } from '../protocol';

/** Sends a handler's one answer. */
export type Reply = (answer: Answer<object>) => void;

/**
 * Wraps a handler so that whatever arrives (no payload, no callback, extra
 * arguments, a throwing handler) the client gets one answer and the server
 * stays up.
 */
export function handler(
  log: Logger,
  event: string,
  fn: (payload: unknown, reply: Reply) => Promise<void>,
) {
  return (...args: unknown[]) => {
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? (last as (a: unknown) => void) : undefined;
    let answered = false;
    const reply: Reply = (answer) => {
      if (answered) return;
      answered = true;
      callback?.(answer);
    };
    const payload = callback && args.length === 1 ? undefined : args[0];
    fn(payload, reply).catch((error: unknown) => {
      log.error({ err: error, event }, 'handler failed');
      reply(fail('internal', 'internal error'));
    });
  };
}
