/**
 * Issue 9: the desktop host restarts its embedded server when it dies, with
 * backoff, and gives up after a number of quick failures. The server runs in
 * a real forked Node process (the utility-process entry `serverProcess.ts`
 * with a stand-in `parentPort`), killed with SIGKILL like a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedServer, type ServerChild } from '../../../desktop/embeddedServer';
import { RestartBackoff } from '../../../desktop/restartPolicy';
import type { HostEvent } from '../../../protocol/desktop';
import { calibrate } from '../../support/calibrate';
import { tempDir } from '../../support/servers';
import { forkServer, SOURCE_ENTRY } from '../electron/support/forkedServer';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Loopback, any free port. */
const RUN = { host: '127.0.0.1', port: 0, registration: 'open' } as const;

/** How long a start may take: the product's default (20 s) until {@link forkedStarts} is measured. */
const limits: { startTimeoutMs?: number } = {};

/** An embedded server whose processes are real forks; `spawned` lists them. */
function embedded(restart: ConstructorParameters<typeof EmbeddedServer>[0]['restart']) {
  const data = tempDir('tickline-restart-');
  const spawned: ChildProcess[] = [];
  let spawnChild = (): ServerChild => {
    const forked = forkServer(SOURCE_ENTRY);
    spawned.push(forked.process);
    return forked.child;
  };
  const server = new EmbeddedServer({
    spawn: () => spawnChild(),
    dataDir: data.dir,
    corsOrigins: [],
    tls: 'off',
    restart,
    ...limits,
  });
  const events: HostEvent[] = [];
  const waiters: { type: HostEvent['type']; resolve: (event: HostEvent) => void }[] = [];
  server.onEvent((event) => {
    events.push(event);
    for (const waiter of waiters.splice(0)) {
      if (waiter.type === event.type) waiter.resolve(event);
      else waiters.push(waiter);
    }
  });
  cleanup.push(async () => {
    await server.stop();
    for (const child of spawned) child.kill('SIGKILL');
    data.remove();
  });
  return {
    server,
    events,
    spawned,
    /** From now on, spawn `make()` instead of the real server. */
    spawnWith(make: () => ServerChild) {
      spawnChild = make;
    },
    next(type: HostEvent['type']): Promise<HostEvent> {
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return response.ok && ((await response.json()) as { ok?: unknown }).ok === true;
}

/** A child process that exits with code 3 as soon as it starts (a server that cannot run). */
function dyingChild(): ServerChild {
  const proc = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
  return {
    postMessage: () => undefined,
    onMessage: () => undefined,
    onExit: (listener) => proc.once('exit', (code) => listener(code ?? 1)),
    kill: () => {
      proc.kill('SIGKILL');
    },
  };
}

/**
 * The work here is forked server starts: a Node process that loads the
 * server's sources through tsx, then starts it (about 2 s each on an idle
 * 2-core machine). One start and clean stop is timed here; a test makes at
 * most two, plus a kill or three children that exit at once, so it gets the
 * time of three.
 */
const forkedStarts = await calibrate('one forked server start and clean stop', async () => {
  const host = embedded({});
  const started = await host.server.start(RUN);
  if (!started.ok) throw new Error(`calibration: ${started.error}`);
  await host.server.stop();
  await cleanup.pop()!();
});
limits.startTimeoutMs = forkedStarts.timeout(1);

describe('restart backoff', () => {
  it('waits 1 s, 2 s, 4 s … capped, then gives up after the quick failures allowed', () => {
    const backoff = new RestartBackoff({
      firstDelayMs: 1_000,
      maxDelayMs: 5_000,
      maxQuickFailures: 5,
      stableAfterMs: 60_000,
    });
    const delays = Array.from({ length: 6 }, () => backoff.failed(10));
    expect(delays).toEqual([
      { action: 'restart', delayMs: 1_000 },
      { action: 'restart', delayMs: 2_000 },
      { action: 'restart', delayMs: 4_000 },
      { action: 'restart', delayMs: 5_000 },
      { action: 'restart', delayMs: 5_000 },
      { action: 'give-up' },
    ]);
  });

  it('starts afresh after a server that ran long enough', () => {
    const backoff = new RestartBackoff({
      firstDelayMs: 1_000,
      maxDelayMs: 30_000,
      maxQuickFailures: 2,
      stableAfterMs: 60_000,
    });
    backoff.failed(0);
    expect(backoff.failed(0)).toEqual({ action: 'restart', delayMs: 2_000 });
    expect(backoff.failed(60_000)).toEqual({ action: 'restart', delayMs: 1_000 });
  });

  it('refuses a policy that could never restart', () => {
    expect(
      () =>
        new RestartBackoff({
          firstDelayMs: 0,
          maxDelayMs: 1,
          maxQuickFailures: 1,
          stableAfterMs: 0,
        }),
    ).toThrow(/Invalid restart policy/);
  });
});

describe('embedded server that dies', { timeout: forkedStarts.timeout(3) }, () => {
  it('is restarted on the same port and tells the person', async () => {
    const host = embedded({ firstDelayMs: 50 });
    const started = await host.server.start(RUN);
    if (!started.ok) throw new Error(started.error);
    const { port } = started.value;
    expect(await healthy(port)).toBe(true);

    const restarting = host.next('restarting');
    const restarted = host.next('restarted');
    host.spawned[0]!.kill('SIGKILL');
    expect(await restarting).toEqual({ type: 'restarting', seconds: 1 });
    expect(host.server.port).toBeUndefined();
    expect(await restarted).toEqual({ type: 'restarted', port });
    expect(host.spawned).toHaveLength(2);
    expect(host.server.port).toBe(port);
    expect(await healthy(port)).toBe(true);
  });

  it('backs off 1 s, 2 s … and gives up after the quick failures allowed', async () => {
    const host = embedded({ firstDelayMs: 20, maxDelayMs: 40, maxQuickFailures: 3 });
    const started = await host.server.start(RUN);
    if (!started.ok) throw new Error(started.error);
    host.spawnWith(dyingChild);
    const gaveUp = host.next('gave-up');
    host.spawned[0]!.kill('SIGKILL');
    expect(await gaveUp).toEqual({
      type: 'gave-up',
      error: 'The server could not start: the server process exited.',
    });
    // Waits of 20, 40, 40 ms are shown rounded up to whole seconds.
    expect(host.events).toEqual([
      { type: 'restarting', seconds: 1 },
      { type: 'restarting', seconds: 1 },
      { type: 'restarting', seconds: 1 },
      { type: 'gave-up', error: 'The server could not start: the server process exited.' },
    ]);
    expect(host.server.port).toBeUndefined();
  });

  it('is not restarted once the person stopped it while a restart was pending', async () => {
    const host = embedded({ firstDelayMs: 60_000, maxDelayMs: 60_000 });
    const started = await host.server.start(RUN);
    if (!started.ok) throw new Error(started.error);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const restarting = host.next('restarting');
    host.spawned[0]!.kill('SIGKILL');
    await restarting;
    expect(vi.getTimerCount()).toBe(1);
    await host.server.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.runAllTimers();
    expect(host.spawned).toHaveLength(1);
    expect(host.events).toEqual([{ type: 'restarting', seconds: 60 }]);
  });

  it('is not restarted after a clean stop', async () => {
    const host = embedded({ firstDelayMs: 50 });
    const started = await host.server.start(RUN);
    if (!started.ok) throw new Error(started.error);
    const { port } = started.value;
    const exited = new Promise((resolve) => host.spawned[0]!.once('exit', resolve));
    await host.server.stop();
    // The server closed its store and its process exited by itself (not killed).
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(host.events).toEqual([]);
    expect(host.spawned).toHaveLength(1);
  });
});
