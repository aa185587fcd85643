/**
 * A load worker: runs clients in its own process so that they do not share
 * the server's core. Driven by the orchestrator (bench/run.ts) over IPC.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { ImClient } from '../client/imClient';
import { MemoryStorage } from '../client/memoryStorage';
import type { Session } from '../protocol';
import { BODY, type Pair, type WorkerCommand, type WorkerResult } from './protocol';
import { rawLoad } from './rawLoad';

const SOCKET_OPTIONS = {
  transports: ['websocket'],
  forceNew: true,
  reconnectionDelay: 100,
  reconnectionDelayMax: 500,
};

const idle: Socket[] = [];
/** Resolves the raw load's wait for `go`. */
let go: (() => void) | undefined;

function reply(result: WorkerResult): void {
  process.send!(result);
}

function waitFor(predicate: () => boolean, timeoutMs: number, poll = 20): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate() || Date.now() - started > timeoutMs) {
        clearInterval(timer);
        resolve(predicate());
      }
    }, poll);
  });
}

async function ticklinePairs(
  url: string,
  pairs: Pair[],
  inFlight: number,
  durationMs: number,
  check: boolean,
) {
  const clients: {
    a: ImClient;
    b: ImClient;
    aStore: MemoryStorage;
    pair: Pair;
    shown: Map<string, number>;
    sent: Set<string>;
  }[] = [];
  for (const pair of pairs) {
    const mk = (s: Session, storage: MemoryStorage) =>
      new ImClient({
        url,
        token: s.token,
        userId: s.userId,
        storage,
        socketOptions: SOCKET_OPTIONS,
      });
    const aStore = new MemoryStorage();
    const entry = {
      a: mk(pair.a, aStore),
      b: mk(pair.b, new MemoryStorage()),
      aStore,
      pair,
      shown: new Map<string, number>(),
      sent: new Set<string>(),
    };
    entry.b.events.on('message', (m) => entry.shown.set(m.key, (entry.shown.get(m.key) ?? 0) + 1));
    clients.push(entry);
  }
  await Promise.all(clients.flatMap((c) => [c.a.start(), c.b.start()]));
  await waitFor(
    () => clients.every((c) => c.a.connection === 'connected' && c.b.connection === 'connected'),
    30_000,
  );

  const latencies: number[] = [];
  let delivered = 0;
  const start = performance.now();
  const end = start + durationMs;
  for (const c of clients) {
    const sentAt = new Map<string, number>();
    const sendOne = async () => {
      const t0 = performance.now();
      const m = await c.a.send(c.pair.b.userId, BODY);
      sentAt.set(m.id, t0);
      c.sent.add(m.id);
    };
    c.a.events.on('status', (m) => {
      if (m.status !== 'delivered') return;
      const t0 = sentAt.get(m.id);
      if (t0 === undefined) return;
      sentAt.delete(m.id);
      const now = performance.now();
      if (now <= end) {
        latencies.push(now - t0);
        delivered++;
        void sendOne();
      }
    });
    for (let i = 0; i < inFlight; i++) void sendOne();
  }
  await new Promise((resolve) => setTimeout(resolve, durationMs));

  let lost = 0;
  let duplicated = 0;
  let undelivered = 0;
  if (check) {
    // Drain: wait until every message sent is delivered (resending failures, as a user would).
    const remaining = async () => {
      let n = 0;
      for (const c of clients) {
        await c.a.resendAllFailed();
        n += (await c.aStore.outgoingByStatus(['pending', 'sent', 'stored', 'failed'])).length;
      }
      return n;
    };
    const drainEnd = Date.now() + 60_000;
    while ((undelivered = await remaining()) > 0 && Date.now() < drainEnd) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const c of clients) {
      const history = await c.b.history(c.b.conversationWith(c.pair.a.userId), {
        limit: 1_000_000,
      });
      const ids = new Set(history.map((m) => m.id));
      for (const id of c.sent) if (!ids.has(id)) lost++;
      duplicated += history.length - ids.size;
      for (const n of c.shown.values()) if (n > 1) duplicated += n - 1;
    }
  }
  for (const c of clients) {
    c.a.close();
    c.b.close();
  }
  return { delivered, latencies, lost, duplicated, undelivered };
}

async function openIdle(target: string, url: string, sessions: Session[]): Promise<number> {
  const opened = sessions.map((s) => {
    // Idle load connections do not display presence, so they opt out of it.
    const auth = target === 'tickline' ? { token: s.token, presence: false } : { userId: s.userId };
    return io(url, { ...SOCKET_OPTIONS, auth });
  });
  idle.push(...opened);
  await waitFor(() => opened.every((s) => s.connected), 120_000, 100);
  // Only this call's connections: earlier ones (to another server) stay open and are not counted.
  return opened.filter((s) => s.connected).length;
}

async function drain(
  url: string,
  session: Session,
  expected: number,
): Promise<{ ms: number; received: number }> {
  let received = 0;
  const t0 = performance.now();
  const client = new ImClient({
    url,
    token: session.token,
    userId: session.userId,
    storage: new MemoryStorage(),
    socketOptions: SOCKET_OPTIONS,
  });
  client.events.on('message', () => received++);
  await client.start();
  await waitFor(() => received >= expected, 60_000, 5);
  await client.settled();
  const ms = performance.now() - t0;
  client.close();
  return { ms, received };
}

process.on('message', (command: WorkerCommand & { expected?: number }) => {
  void (async () => {
    try {
      switch (command.cmd) {
        case 'pairs': {
          const r = await ticklinePairs(
            command.url,
            command.pairs,
            command.inFlight,
            command.durationMs,
            command.check,
          );
          return reply({ kind: 'pairs', ...r });
        }
        case 'raw': {
          const start = () =>
            new Promise<void>((resolve) => {
              go = resolve;
              reply({ kind: 'ready' });
            });
          return reply({ kind: 'raw', ...(await rawLoad(command, start)) });
        }
        case 'go':
          return go?.();
        case 'idle':
          return reply({
            kind: 'idle',
            connected: await openIdle(command.target, command.url, command.sessions),
          });
        case 'drain':
          return reply({
            kind: 'drain',
            ...(await drain(command.url, command.session, command.expected ?? 0)),
          });
        case 'exit':
          for (const s of idle) s.close();
          process.exit(0);
      }
    } catch (error) {
      reply({
        kind: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  })();
});
