import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, MAX_BODY_BYTES } from '../../protocol';
import { startChildServer, type ChildServer } from '../support/childServer';
import { newUser } from '../support/clients';
import { ask, rawConnect, type RawSocket } from '../support/raw';
import { tempDir } from '../support/servers';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Resident memory of process `pid`, in MB (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** The 90th percentile of `xs` (one slow sample on a shared machine says little). */
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

/** How long `GET /healthz` takes, in ms. */
async function healthz(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`);
  await res.arrayBuffer();
  return performance.now() - started;
}

/**
 * One user must not take the server down by not reading: on one WebSocket
 * whose client has stopped reading, 5,000 `history:R` whose answers are 1 MiB
 * pages. The server counts a request in flight until its answer has left,
 * and closes a connection whose unsent output passes its bound; memory
 * stays bounded and everyone else is answered promptly throughout.
 */
describe('a client that stops reading', () => {
  let server: ChildServer;
  const tmp = tempDir();

  beforeAll(async () => {
    server = await startChildServer([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      tmp.dir,
      '--log-level',
      'warn',
      // Bob's messages pile up unconfirmed at Carol's raw socket: the inbox
      // quota (one sender's share of it) is another test's subject.
      '--inbox-quota',
      '0',
    ]);
  });
  afterAll(async () => {
    await server.stop();
    tmp.remove();
  });

  it('cannot make the server queue its answers without bound: memory stays bounded, /healthz prompt', async () => {
    const mallory = await newUser(server.url, 'mallory');
    const bob = await newUser(server.url, 'bob');
    const carol = await newUser(server.url, 'carol');
    // A conversation whose every history page is 1 MiB: notes to self, 16 KB each.
    const notes = await rawConnect(server.url, mallory.token, 2);
    const big = 'x'.repeat(MAX_BODY_BYTES);
    for (let i = 0; i < 80; i++) {
      const stored = await ask(notes, 'msg:R', { id: `n${i}`, to: mallory.userId, body: big });
      expect(stored, `note ${i}: ${JSON.stringify(stored)}`).toMatchObject({ ok: true });
    }
    notes.close();
    const pid = server.process.pid!;
    const b = await rawConnect(server.url, bob.token, 2);
    const c = await rawConnect(server.url, carol.token, 2);
    /** Five seconds of everyone else's traffic: /healthz, a message, memory sampled. */
    const others = async (phase: string) => {
      const healthzMs: number[] = [];
      const messageMs: number[] = [];
      let peak = 0;
      const until = Date.now() + 5_000;
      let nextMessage = 0;
      while (Date.now() < until) {
        healthzMs.push(await healthz(server.url));
        peak = Math.max(peak, rssMb(pid));
        // At most ten messages a second, paced by the clock (not by rounds,
        // which a fast machine makes in a millisecond): well inside Bob's
        // message rate (30 a second by default).
        if (performance.now() < nextMessage) continue;
        nextMessage = performance.now() + 100;
        const sent = performance.now();
        const answer = await ask(b, 'msg:R', {
          id: `${phase}${messageMs.length}`,
          to: carol.userId,
          body: 'still here?',
        });
        expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true });
        messageMs.push(performance.now() - sent);
      }
      return { healthz: p90(healthzMs), message: p90(messageMs), peak };
    };
    // The same traffic first without the attack: what this machine does anyway.
    const control = await others('c');

    // The attacker runs in its own process: its writes must not load this one.
    const conv = directConversationId(mallory.userId, mallory.userId);
    const attacker = spawn(process.execPath, ['--import', 'tsx', 'test/support/slowReader.ts'], {
      cwd: ROOT,
      env: { ...process.env, URL: server.url, TOKEN: mallory.token, CONV: conv, COUNT: '5000' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: attacker.stdout! });
    const said = (prefix: string) =>
      new Promise<string>((resolve) =>
        lines.on('line', (line) => {
          if (line.startsWith(prefix)) resolve(line.slice(prefix.length));
        }),
      );
    await said('sent');
    const attacked = await others('a');
    attacker.kill();
    for (const s of [b, c] as RawSocket[]) s.close();

    console.log(
      `slow reader (5,000 history:R of 1 MiB pages, not read): peak RSS ${control.peak.toFixed(0)} MB ` +
        `without the attack, ${attacked.peak.toFixed(0)} MB with it; /healthz p90 ${control.healthz.toFixed(1)} → ` +
        `${attacked.healthz.toFixed(1)} ms; a message between two others p90 ${control.message.toFixed(1)} → ` +
        `${attacked.message.toFixed(1)} ms`,
    );
    // Memory: what the server holds for the attacker is bounded (4 MiB unsent), not 1 MiB a request.
    expect(attacked.peak - control.peak).toBeLessThan(100);
    // Everyone else: answered within 100 ms, or within twice what this machine takes anyway.
    expect(attacked.healthz).toBeLessThan(Math.max(100, 2 * control.healthz));
    expect(attacked.message).toBeLessThan(Math.max(100, 2 * control.message));
  });
});
