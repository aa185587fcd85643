/**
 * The scenarios about Tickline alone: 3 idle authenticated connections,
 * 4 draining an offline inbox, 5 delivery through a faulty network (the
 * real client engine, which retransmits).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { io } from 'socket.io-client';
import { fakeSessions, registerMany, toPairs } from './accounts';
import { CONFIG, log, QUICK } from './config';
import { LoadWorker, runEngine, runRaw, split, type RawSummary } from './loadPool';
import { own, ROOT, rssKb, type Running } from './processes';
import type { Target, WorkerResult } from './protocol';
import { record } from './results';
import type { Servers } from './servers';
import type { Session } from '../protocol';

/**
 * Scenario 3: server memory per idle connection, and raw throughput with them attached. It runs
 * first, on servers that have carried no load yet, so that garbage left by earlier load does not
 * blur the memory figure; the idle connections are closed at its end. Returns its raw run, which
 * the caller compares with scenario 1's.
 */
export async function idleScenario(s: Servers, workers: LoadWorker[]): Promise<RawSummary> {
  const n = CONFIG.idle;
  const t0 = Date.now();
  const idleUsers = await registerMany(s.tickline.url, n, 'i');
  log(
    `    registered ${n} people for idle connections in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const idleWorkers = Array.from({ length: 4 }, () => new LoadWorker());
  const perConn = async (target: Target, server: Running, sessions: Session[]) => {
    const before = rssKb(server.pid);
    const t1 = Date.now();
    const shares = split(sessions, idleWorkers.length);
    const res = await Promise.all(
      idleWorkers.map((w, i) =>
        w.run({ cmd: 'idle', target, url: server.url, sessions: shares[i]! }),
      ),
    );
    const connected = res.reduce((a, r) => a + (r.kind === 'idle' ? r.connected : 0), 0);
    log(
      `    ${connected} idle connections to ${target} in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { connected, kb: (rssKb(server.pid) - before) / connected };
  };
  const t = await perConn('tickline', s.tickline, idleUsers);
  const withIdle = await runRaw(workers, s.tickline.pid, {
    target: 'tickline',
    url: s.tickline.url,
    pairs: s.pairs.tickline.slice(0, CONFIG.pairs),
    inFlight: CONFIG.inFlight,
    durationMs: CONFIG.durationMs,
    warmupMs: CONFIG.warmupMs,
  });
  const r = await perConn('relay', s.relay, fakeSessions(n, 'ri'));
  const scenario = `3 connections ${t.connected}`;
  record({
    scenario,
    metric: 'server RSS KB / connection',
    tickline: t.kb,
    relay: r.kb,
    target: '≤ 20 KB',
    pass: t.kb <= 20,
  });
  record({
    scenario,
    metric: `raw throughput ${CONFIG.pairs}×${CONFIG.inFlight} with them attached, msg/s`,
    tickline: withIdle.perSecond,
  });
  for (const w of idleWorkers) w.exit();
  // Let both servers see the disconnections before anything else is measured.
  await new Promise((resolve) => setTimeout(resolve, QUICK ? 500 : 1_500));
  return withIdle;
}

/** Scenario 4: messages stored for an offline person, then pulled and confirmed by the engine. */
export async function offlineScenario(s: Servers, workers: LoadWorker[]) {
  const [sender, offline] = await registerMany(s.tickline.url, 2, 'd');
  const n = CONFIG.offline;
  const socket = io(s.tickline.url, {
    auth: { token: sender!.token },
    transports: ['websocket'],
    forceNew: true,
  });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - i) }, (_, k) =>
        socket.emitWithAck('msg:R', {
          id: `off${i + k}`,
          to: offline!.userId,
          body: `offline message ${i + k}`,
        }),
      ),
    );
  }
  socket.close();
  const r = (await workers[0]!.run({
    cmd: 'drain',
    url: s.tickline.url,
    session: offline!,
    expected: n,
  })) as Extract<WorkerResult, { kind: 'drain' }>;
  record({
    scenario: `4 offline drain ${n}`,
    metric: 'seconds to pull and confirm',
    tickline: r.ms / 1000,
    target: '≤ 2 s',
    pass: r.received === n && r.ms <= 2_000,
  });
}

/** Scenario 5: the engine through the fault-injecting proxy, without and with faults. */
export async function faultScenario(s: Servers, workers: LoadWorker[]) {
  // Fresh people: the engine starts from an empty history, not from the raw runs' logs.
  const pairs = toPairs(await registerMany(s.tickline.url, CONFIG.pairs * 2, 'f'));
  const proxy = own(
    fork(path.join(ROOT, 'bench/proxyWorker.ts'), [s.tickline.url], {
      execArgv: ['--import', 'tsx'],
      cwd: ROOT,
    }),
  );
  const proxyUrl = await new Promise<string>((resolve) =>
    proxy.once('message', (m: { url: string }) => resolve(m.url)),
  );
  const setFaults = (dropRate: number, cutEveryMs: number) =>
    new Promise<number>((resolve) => {
      proxy.once('message', (m: { dropped: number }) => resolve(m.dropped));
      proxy.send({ dropRate, cutEveryMs, cutFraction: 0.05 });
    });
  const run = () => runEngine(workers, proxyUrl, pairs, CONFIG.inFlight, CONFIG.faultMs, true);
  // The engine's code has not run in these workers yet: warm it up, so that the fault-free
  // run it is compared with is not slowed down by the JIT.
  let t0 = Date.now();
  await runEngine(workers, proxyUrl, pairs, CONFIG.inFlight, 1_000);
  const clean = await run();
  log(`    warm-up and fault-free run: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await setFaults(0.05, 500);
  t0 = Date.now();
  const faultyPromise = run();
  // Faults stop when the load stops, so the drain can finish.
  await new Promise((resolve) => setTimeout(resolve, CONFIG.faultMs));
  const dropped = await setFaults(0, 0);
  const faulty = await faultyPromise;
  const drainS = (Date.now() - t0 - CONFIG.faultMs) / 1000;
  const scenario = `5 faults 5% drop + cuts, engine ${CONFIG.pairs}×${CONFIG.inFlight}`;
  record({ scenario, metric: 'fault-free msg/s (via proxy)', tickline: clean.perSecond });
  record({ scenario, metric: 'with faults msg/s', tickline: faulty.perSecond });
  const ratio = faulty.perSecond / clean.perSecond;
  record({
    scenario,
    metric: 'with faults ÷ fault-free',
    tickline: ratio,
    target: '≥ 0.5×',
    pass: ratio >= 0.5,
  });
  record({
    scenario,
    metric: 'seconds from the end of the faults until all were delivered',
    tickline: drainS,
  });
  record({
    scenario,
    metric: `lost / duplicated / undelivered (${dropped} packets dropped)`,
    tickline: `${faulty.lost} / ${faulty.duplicated} / ${faulty.undelivered}`,
    target: '0 / 0 / 0',
    pass: faulty.lost === 0 && faulty.duplicated === 0 && faulty.undelivered === 0,
  });
  proxy.kill();
}
