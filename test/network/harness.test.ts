/**
 * The network-namespace harness itself (test/support/netns.ts): the server
 * really runs in its namespace, each fault does what it says to real TCP,
 * bad input changes nothing, and nothing is left behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ChildServer } from '../support/childServer';
import { createNetLab, removeStale, type NetLab, networkTestsRun } from '../support/netns';

const runs = networkTestsRun('the netns harness tests (test/network/harness.test.ts)');

function ip(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

/** GET /healthz; the error (e.g. a timeout or a refusal) when it fails. */
async function health(url: string, timeoutMs = 1_000): Promise<unknown> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.status;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
  }
}

describe.runIf(runs)('netns harness', () => {
  let lab: NetLab;
  let server: ChildServer;

  beforeAll(async () => {
    lab = createNetLab();
    server = await lab.startServer(['--log-level', 'warn']);
  });
  afterEach(() => lab.faults.heal());
  afterAll(async () => {
    await lab?.destroy();
  });

  test('the server runs inside its namespace and is reached over the veth', async () => {
    expect(server.url).toBe(`http://${lab.serverIp}:${server.port}`);
    expect(ip(['netns', 'identify', String(server.process.pid)]).out.trim()).toBe(lab.ns);
    expect(await health(server.url)).toBe(200);
  });

  test('a partition silently drops every packet (counted); heal restores the link', async () => {
    lab.faults.partition();
    expect(await health(server.url)).toBe('TimeoutError');
    expect(lab.faults.counters()['partition-in']).toBeGreaterThan(0);
    lab.faults.heal();
    expect(await health(server.url, 10_000)).toBe(200);
    expect(lab.faults.counters()['partition-in']).toBeGreaterThan(0);
  });

  test('resets refuse connections to the server port at once', async () => {
    lab.faults.resets(server.port);
    expect(await health(server.url)).toMatch(/^(ECONNREFUSED|ECONNRESET)$/);
    expect(lab.faults.counters()['reset-in']).toBeGreaterThan(0);
    lab.faults.heal();
    expect(await health(server.url)).toBe(200);
  });

  test('total loss drops everything; partial loss lets some through', async () => {
    lab.faults.loss(100);
    expect(await health(server.url)).toBe('TimeoutError');
    lab.faults.heal();
    lab.faults.loss(20);
    // TCP retransmits what is lost: the request still succeeds.
    expect(await health(server.url, 30_000)).toBe(200);
    lab.faults.heal();
    expect(lab.faults.counters()['loss-in']).toBeGreaterThan(0);
  });

  test('bad fault input is refused with a clear error and adds no rule', () => {
    const before = lab.faults.counters();
    const rules = () => lab.exec('nft', ['list', 'table', 'inet', 'tl']);
    const empty = rules();
    expect(() => lab.faults.loss(0)).toThrow(/integer percentage from 1 to 100, got 0/);
    expect(() => lab.faults.loss(150)).toThrow(RangeError);
    expect(() => lab.faults.loss(2.5)).toThrow(RangeError);
    expect(() => lab.faults.resets(70_000)).toThrow(/port must be an integer/);
    expect(rules()).toBe(empty);
    expect(lab.faults.counters()).toEqual(before);
  });

  test('destroy removes the namespace, veth and table; a second destroy is harmless', async () => {
    const other = createNetLab();
    const started = await other.startServer(['--log-level', 'warn']);
    other.faults.loss(50);
    await other.destroy();
    expect(started.process.exitCode ?? started.process.signalCode).not.toBeNull();
    expect(ip(['netns', 'list']).out).not.toContain(other.ns);
    expect(ip(['link', 'show', other.veth.root]).ok).toBe(false);
    await other.destroy();
    // Our own lab is untouched.
    expect(await health(server.url)).toBe(200);
  });

  test('removeStale deletes leftovers of dead processes only (and stops what runs in them)', async () => {
    const dead = spawnSync('true').pid!;
    const ns = `tl-srv-${dead}-1`;
    const link = `tl${dead}a1`;
    const dir = mkdtempSync(path.join(tmpdir(), `tickline-netns-${dead}-`));
    expect(ip(['netns', 'add', ns]).ok).toBe(true);
    expect(ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', `tl${dead}b1`]).ok).toBe(true);
    // A server a killed run left running in its namespace.
    const orphan = spawn('ip', ['netns', 'exec', ns, 'sleep', '600'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => {
      const timer = setTimeout(() => resolve('still running after 5 s'), 5_000);
      orphan.once('exit', (_code, signal) => {
        clearTimeout(timer);
        resolve(signal);
      });
    });
    await new Promise((resolve) => orphan.once('spawn', resolve));
    await until(() => ip(['netns', 'pids', ns]).out.trim() === String(orphan.pid));

    let removed: string[];
    try {
      removed = removeStale();
      expect(await exited).toBe('SIGKILL');
    } finally {
      orphan.kill('SIGKILL');
    }
    expect(removed).toEqual(expect.arrayContaining([ns, link, path.basename(dir)]));
    expect(removed).not.toContain(lab.ns);
    expect(ip(['netns', 'list']).out).not.toContain(ns);
    expect(ip(['link', 'show', link]).ok).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await health(server.url)).toBe(200);
  });
});

/** Resolves once `check` holds, polling every 20 ms (`ip netns exec` has no event to wait for). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await delay(20);
  if (!check()) throw new Error('timed out');
}
