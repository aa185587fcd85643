import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { WriteArgs, WriteOpName, WriteResult } from './writerOps';
import {
  fromWireError,
  type FromWriter,
  type SubmittedOp,
  type ToWriter,
  type WriterData,
} from './writerProtocol';

interface Waiter {
  applied?: (value: unknown) => void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  value?: unknown;
}

/** Options of {@link StoreWriter.start}. */
export interface StoreWriterOptions {
  /** The worker's script (default: `writerWorker.ts`/`.js` next to this module). */
  script?: string;
  /** The worker died or could not write at all: every later write fails. */
  onFatal?: (error: Error) => void;
}

/** How to start the worker: a script file, or (from the sources) code that loads the `.ts` through tsx. */
interface WorkerSource {
  source: string;
  eval: boolean;
}

/**
 * The worker next to this module: in a build, `writerWorker.js` beside the
 * module that bundles this one; from the sources, `writerWorker.ts` loaded
 * through tsx (Node 20 does not apply a worker's `--import` hooks to its
 * entry file, so a small evaluated script imports it with `tsImport`).
 */
export function defaultWriterSource(): WorkerSource {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (!here.endsWith('.ts')) {
    const sibling = path.join(dir, 'writerWorker.js');
    return {
      source: existsSync(sibling) ? sibling : path.join(dir, '..', 'writerWorker.js'),
      eval: false,
    };
  }
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const entry = path.join(dir, 'writerWorker.ts');
  const code = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))
  .catch((error) => { console.error(error); process.exit(1); });`;
  return { source: code, eval: true };
}

/**
 * The main thread's side of the store writer: a worker thread that owns the
 * connection writing the message path (`writerWorker.ts`). Operations are
 * named ({@link WRITE_OPS}) and run in submission order; those submitted
 * during one turn of the event loop travel in one message. Each hears
 * `applied` when its batch has run (not yet durable: only `ack:A` is
 * answered then) and resolves once the batch has committed.
 */
export class StoreWriter {
  private readonly waiting = new Map<number, Waiter>();
  private outgoing: SubmittedOp[] = [];
  private sending = false;
  private next = 1;
  private broken: Error | undefined;
  private exited = false;
  private closed: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;
  /** Transactions the worker has committed, for diagnostics and benchmarks. */
  commits = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly onFatal: (error: Error) => void,
  ) {
    port.on('message', (message: FromWriter) => this.receive(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.onClosed) this.fail(new Error(`store writer exited (code ${code})`));
      this.onClosed?.();
    });
  }

  /** Starts the worker on the (already opened and migrated) database in `dataDir`. */
  static start(dataDir: string, options: StoreWriterOptions = {}): Promise<StoreWriter> {
    const from = options.script ? { source: options.script, eval: false } : defaultWriterSource();
    const { port1, port2 } = new MessageChannel();
    const data: WriterData & { port: MessagePort } = {
      dataDir,
      port: port2,
      ...(process.env.TICKLINE_FAULT_KILL_BEFORE_COMMIT
        ? { killBeforeCommit: process.env.TICKLINE_FAULT_KILL_BEFORE_COMMIT }
        : {}),
    };
    const worker = new Worker(from.source, {
      eval: from.eval,
      workerData: data,
      transferList: [port2],
      // Not the parent's preloads (tsx, test shims); its CPU profile when profiling.
      execArgv: process.execArgv.filter((flag) => flag.startsWith('--cpu-prof')),
    });
    return new Promise((resolve, reject) => {
      const first = (message: FromWriter) => {
        port1.off('message', first);
        worker.off('error', early);
        if (message.t === 'ready') {
          resolve(new StoreWriter(worker, port1, options.onFatal ?? (() => undefined)));
        } else {
          void worker.terminate();
          reject(message.t === 'fatal' ? fromWireError(message.error) : new Error('store writer'));
        }
      };
      const early = (error: Error) => {
        port1.close();
        reject(error);
      };
      port1.on('message', first);
      worker.once('error', early);
    });
  }

  /**
   * Runs `op` in the next batch; `applied` hears its value once the batch
   * has run (before the commit). Resolves with the value after the commit.
   */
  run<K extends WriteOpName>(
    op: K,
    args: WriteArgs<K>,
    applied?: (value: WriteResult<K>) => void,
  ): Promise<WriteResult<K>> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new Error('store writer closed'));
    const n = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(n, {
        applied: applied as ((value: unknown) => void) | undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.outgoing.push({ n, op, args: args as unknown[] });
      if (!this.sending) {
        this.sending = true;
        process.nextTick(() => this.send());
      }
    });
  }

  /** Resolves once everything submitted before it has committed. */
  barrier(): Promise<null> {
    return this.run('barrier', []);
  }

  /** Operations submitted and not yet settled. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Lets everything submitted commit, then stops the worker (its connection closed). */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.onClosed = resolve;
      if (this.exited) return resolve();
      if (this.broken) {
        void this.worker.terminate();
        return;
      }
      this.send();
      this.post({ t: 'close' });
    }).then(() => this.port.close());
    return this.closed;
  }

  private send(): void {
    this.sending = false;
    if (this.outgoing.length === 0) return;
    const ops = this.outgoing;
    this.outgoing = [];
    this.post({ t: 'ops', ops });
  }

  private post(message: ToWriter): void {
    this.port.postMessage(message);
  }

  private receive(message: FromWriter): void {
    switch (message.t) {
      case 'applied':
        for (const { n, value } of message.results) {
          const w = this.waiting.get(n);
          if (!w) continue;
          w.value = value;
          w.applied?.(value);
        }
        // Crash tests: the batch has run; die before its commit.
        if (message.kill) setImmediate(() => process.kill(process.pid, 'SIGKILL'));
        return;
      case 'settled':
        this.commits = message.commits;
        for (const n of message.done) {
          const w = this.waiting.get(n);
          this.waiting.delete(n);
          w?.resolve(w.value);
        }
        for (const { n, error } of message.failed) {
          const w = this.waiting.get(n);
          this.waiting.delete(n);
          w?.reject(fromWireError(error));
        }
        return;
      case 'fatal':
        this.fail(fromWireError(message.error));
        return;
      case 'closed':
      case 'ready':
        return;
    }
  }

  private fail(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
    this.onFatal(error);
  }
}
