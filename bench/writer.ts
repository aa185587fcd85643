/**
 * The store writer's work alone, in one process, without sockets:
 * `npm run bench:writer [-- --sync FULL|NORMAL|OFF] [--checkpoint PAGES] [--batch 50]
 * [--messages 40000] [--savepoints]`.
 *
 * A real SQLite file with 100 people and their devices; batches of `batch`
 * messages (each from another of 50 senders to its partner) are stored in
 * one `GroupCommit` transaction, then their confirmations in the next, every
 * 32nd confirmation with a compaction of its device's cursor — what the
 * writer thread does for each message under the benchmark's load. Prints
 * wall and CPU time per message. `--checkpoint` overrides the writer's
 * `wal_autocheckpoint` (the server's writer uses 10,000); `--savepoints`
 * runs every batch the way a batch with a failing write is run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GroupCommit } from '../server/groupCommit';
import { Store, type StreamScope } from '../server/store';
import { COMPACT_EVERY, WAL_CHECKPOINT_PAGES } from '../server/writerOps';

const { values } = parseArgs({
  options: {
    sync: { type: 'string', default: 'FULL' },
    checkpoint: { type: 'string', default: String(WAL_CHECKPOINT_PAGES) },
    batch: { type: 'string', default: '50' },
    messages: { type: 'string', default: '40000' },
    savepoints: { type: 'boolean', default: false },
  },
});
const sync = values.sync.toUpperCase();
if (!['FULL', 'NORMAL', 'OFF'].includes(sync)) throw new Error('--sync FULL, NORMAL or OFF');
const batch = Number(values.batch);
const total = Number(values.messages);
const SENDERS = 50;

const dir = mkdtempSync(path.join(tmpdir(), 'tickline-bench-writer-'));
const setup = new Store(dir);
const people: string[] = [];
for (let i = 0; i < SENDERS * 2; i++) {
  const id = randomUUID();
  setup.insertUser({ id, username: `w${i}`, displayName: `w${i}`, passwordHash: 'x' }, 0);
  setup.insertDevice({ deviceId: `wd${i}`, userId: id, name: 'bench' }, Buffer.from(id), 0, 1e15);
  people.push(id);
}
const store = new Store(dir, { secondary: true });
store.db.pragma(`synchronous = ${sync}`);
store.db.pragma(`wal_autocheckpoint = ${Number(values.checkpoint)}`);
const commit = new GroupCommit(store.db);
const scopes: StreamScope[] = people.map((userId, i) => ({
  userId,
  deviceId: `wd${i}`,
  mirror: true,
}));
const fail = (error: unknown) => {
  throw error;
};
const settle = { done: () => undefined, failed: fail };
/** With --savepoints, every batch starts with a write that fails (and reruns with savepoints). */
const failing = () => {
  throw new Error('the batch reruns with savepoints');
};

let confirmations = 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let sent = 0; sent < total; sent += batch) {
  const ids: [number, string][] = [];
  if (values.savepoints) commit.enqueue(failing, { done: () => undefined, failed: () => 0 });
  for (let k = 0; k < batch; k++) {
    const s = (sent + k) % SENDERS;
    const id = randomUUID();
    ids.push([s, id]);
    const msg = { id, to: people[2 * s + 1]!, body: `hello ${id}` };
    commit.enqueue(() => store.storeMessage(people[2 * s]!, `wd${2 * s}`, msg, Date.now()), settle);
  }
  commit.flush();
  if (values.savepoints) commit.enqueue(failing, { done: () => undefined, failed: () => 0 });
  for (const [s, id] of ids) {
    const scope = scopes[2 * s + 1]!;
    const compactNow = ++confirmations % COMPACT_EVERY === 0;
    commit.enqueue(() => {
      const c = store.confirm(scope, people[2 * s]!, id, Date.now());
      if (compactNow) store.compact(scope);
      return c;
    }, settle);
  }
  commit.flush();
}
const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
const cpu = process.cpuUsage(cpu0);
const per = (us: number) => (us / total).toFixed(1);
console.log(
  `writer alone, synchronous=${sync}, checkpoint every ${values.checkpoint} pages, ${batch} a batch${values.savepoints ? ', savepoints' : ''}: ` +
    `${per(wallUs)} µs wall a message (${Math.round((total / wallUs) * 1e6)} a second), ` +
    `CPU ${per(cpu.user + cpu.system)} µs (user ${per(cpu.user)}, system ${per(cpu.system)}); ` +
    `${commit.commits} commits, ${commit.reruns} reruns`,
);
store.close();
setup.close();
rmSync(dir, { recursive: true, force: true });
