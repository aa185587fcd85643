/**
 * The raw load client: bare socket.io-client sockets, the same code for every
 * server. Against Tickline and the shape baseline it speaks the wire
 * contract's six packets (msg:R with a callback, ack:R with a callback for
 * every msg:N, the sender waits for ack:N); against the relay its four
 * (msg, msg, ack, ack). No engine, no storage, no validation, no retries.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { Session } from '../protocol';
import { BODY, type RawLoad, type RawResult, type Target } from './protocol';

/** How long to wait for the messages still open when the window ends. */
const GRACE_MS = 1_000;

type Answer = { ok: boolean };

function authFor(target: Target, session: Session): Record<string, string> {
  // Tickline authenticates with the token (protocol 1, wire-v1 exactly); the baselines trust a user id.
  return target === 'tickline' ? { token: session.token } : { userId: session.userId };
}

function connect(url: string, auth: Record<string, string>): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => reject(new Error(`${url}: ${error.message}`)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Runs one raw load and returns what it measured inside its window. It
 * connects every socket first, then awaits `start`, so that several workers
 * can begin together and no connection is still being set up during the load.
 */
export async function rawLoad(load: RawLoad, start: () => Promise<void>): Promise<RawResult> {
  const result: RawResult = {
    delivered: 0,
    total: 0,
    ackLatencies: [],
    storeLatencies: [],
    errors: 0,
    offline: 0,
    unanswered: 0,
  };
  const six = load.target !== 'relay';
  const sockets = await Promise.all(
    load.pairs.map(async (pair) => {
      const [a, b] = await Promise.all([
        connect(load.url, authFor(load.target, pair.a)),
        connect(load.url, authFor(load.target, pair.b)),
      ]);
      return { pair, a, b };
    }),
  );

  await start();
  if (sockets.length === 0) return result;
  const open = new Map<string, number>(); // message id → send time
  const from = performance.now() + load.warmupMs;
  const end = from + load.durationMs;
  let seq = 0;

  for (const { pair, a, b } of sockets) {
    const to = pair.b.userId;
    /** The message left the books (answered or refused); keep `inFlight` open until the end. */
    const close = (id: string, answered: boolean) => {
      const t0 = open.get(id);
      if (t0 === undefined) return;
      open.delete(id);
      const now = performance.now();
      if (answered) {
        result.total++;
        if (now >= from && now <= end) {
          result.delivered++;
          result.ackLatencies.push(now - t0);
        }
      }
      if (now < end) send();
    };
    const send = () => {
      const id = `${load.runId}_${seq++}`;
      const t0 = performance.now();
      open.set(id, t0);
      if (!six) {
        a.emit('msg', { id, to, body: BODY });
        return;
      }
      a.emit('msg:R', { id, to, body: BODY }, (answer: Answer) => {
        const now = performance.now();
        if (!answer.ok) {
          result.errors++;
          close(id, false);
        } else if (now >= from && now <= end) result.storeLatencies.push(now - t0);
      });
    };
    if (six) {
      b.on('msg:N', (m: { id: string; from: string }) =>
        b.emit('ack:R', { from: m.from, id: m.id }, (answer: Answer) => {
          if (!answer.ok) result.errors++;
        }),
      );
      a.on('ack:N', (n: { id: string; offline: boolean }) => {
        if (n.offline) result.offline++;
        close(n.id, !n.offline);
      });
    } else {
      b.on('msg', (m: { id: string; from: string }) => b.emit('ack', { id: m.id, to: m.from }));
      a.on('ack', (n: { id: string }) => close(n.id, true));
    }
    for (let i = 0; i < load.inFlight; i++) send();
  }

  await sleep(end - performance.now());
  const graceEnd = performance.now() + GRACE_MS;
  while (open.size > 0 && performance.now() < graceEnd) await sleep(10);
  result.unanswered = open.size;
  for (const { a, b } of sockets) {
    a.close();
    b.close();
  }
  return result;
}
