/**
 * The store writer's worker thread (`StoreWriter` starts it): it owns the
 * connection that writes the message path and commits one transaction per
 * batch, back to back. While a batch commits (the fsync), the main thread's
 * next operations queue on the port; the next batch takes all of them, so
 * batches grow with load and the main thread never waits on the disk.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { GroupCommit } from './groupCommit';
import { Groups } from './groups';
import { Invites } from './invites';
import { ResetCodes } from './resetCodes';
import { Store } from './store';
import { WAL_CHECKPOINT_PAGES, WRITE_OPS, type WriterContext } from './writerOps';
import {
  toWireError,
  type FromWriter,
  type SubmittedOp,
  type ToWriter,
  type WireError,
  type WriterData,
} from './writerProtocol';

const { dataDir, killBeforeCommit, port } = workerData as WriterData & { port: MessagePort };
const post = (message: FromWriter) => port.postMessage(message);

let ctx: WriterContext;
try {
  const store = new Store(dataDir, { secondary: true });
  // A checkpoint (copying the WAL into the database, two fsyncs) every
  // 10,000 pages instead of SQLite's 1,000: each page is copied once however
  // many batches changed it, and the writer stops for it a tenth as often
  // (`npm run bench:writer`, 50 messages a batch: 86–87 → 73 µs a message).
  store.db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  ctx = {
    store,
    groups: new Groups(store.db, store),
    invites: new Invites(store.db),
    resetCodes: new ResetCodes(store.db),
  };
} catch (error) {
  post({ t: 'fatal', error: toWireError(error) });
  process.exit(1);
}

let applied: { n: number; value: unknown }[] = [];
let kill = false;
let done: number[] = [];
let failed: { n: number; error: WireError }[] = [];

const commit = new GroupCommit(ctx.store.db, () => {
  if (applied.length > 0) post({ t: 'applied', results: applied, ...(kill ? { kill } : {}) });
  applied = [];
  if (kill) {
    // Crash tests: hold the commit; the main thread SIGKILLs the process.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    kill = false;
  }
});

function take(ops: SubmittedOp[]): void {
  for (const { n, op, args } of ops) {
    const fn = WRITE_OPS[op] as ((w: WriterContext, ...a: unknown[]) => unknown) | undefined;
    if (!fn) {
      failed.push({ n, error: { message: `unknown store operation ${String(op)}` } });
      continue;
    }
    if (killBeforeCommit && op === 'storeMessage') {
      const body = (args[2] as { body?: unknown } | undefined)?.body;
      if (typeof body === 'string' && body.includes(killBeforeCommit)) kill = true;
    }
    commit.enqueue(() => fn(ctx, ...args), {
      applied: (value) => applied.push({ n, value }),
      done: () => done.push(n),
      failed: (error) => failed.push({ n, error: toWireError(error) }),
    });
  }
}

let closing = false;

function handle(message: ToWriter): void {
  if (message.t === 'ops') take(message.ops);
  else closing = true;
}

function flushAll(): void {
  // Everything that arrived while the last batch committed joins this one.
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    handle(m.message as ToWriter);
  }
  commit.flush();
  if (done.length > 0 || failed.length > 0) {
    post({ t: 'settled', done, failed, commits: commit.commits });
    done = [];
    failed = [];
  }
  if (closing && commit.pending === 0) {
    ctx.store.close();
    post({ t: 'closed' });
    port.close();
  }
}

// At once, not on a later turn of the loop: a lone message waits for nothing,
// and under load what arrives during a commit is taken by the next flush's drain.
port.on('message', (message: ToWriter) => {
  handle(message);
  flushAll();
});
post({ t: 'ready' });
