/**
 * Starts and stops the embedded im-server in a separate process and waits for
 * its answers. The process is abstracted as {@link ServerChild} so that this
 * logic runs without Electron: `index.ts` adapts Electron's `utilityProcess`,
 * tests use an in-memory channel to {@link createServerWorker}.
 */
import type { BridgeResult } from '../../renderer/src/desktop/bridge';
import { fromServerSchema, type FromServer, type ToServer } from './serverMessages';

/** The embedded server's process as the main process sees it. */
export interface ServerChild {
  postMessage(message: ToServer): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number) => void): void;
  kill(): void;
}

export interface EmbeddedServerOptions {
  spawn: () => ServerChild;
  dataDir: string;
  /** Interface to bind; `0.0.0.0` so colleagues on the LAN can connect. */
  host: string;
  corsOrigins: string[];
  logFile?: string;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

interface Running {
  child: ServerChild;
  port: number;
  exited: Promise<void>;
  messages: Set<(message: FromServer) => void>;
}

export class EmbeddedServer {
  private running: Running | undefined;
  /** Start and stop run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EmbeddedServerOptions) {}

  /** The port of the running server, if any. */
  get port(): number | undefined {
    return this.running?.port;
  }

  /** Starts the server on `port` (stopping one on another port first). */
  start(port: number): Promise<BridgeResult<{ port: number }>> {
    return this.enqueue(async () => {
      if (this.running && this.running.port === port) {
        return { ok: true as const, value: { port } };
      }
      await this.stopNow();
      return this.startNow(port);
    });
  }

  /** Asks the server to close (its store is flushed) and waits; kills it after a timeout. */
  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async startNow(port: number): Promise<BridgeResult<{ port: number }>> {
    const child = this.options.spawn();
    const messages = new Set<(message: FromServer) => void>();
    let onExit: (code: number) => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      onExit = () => resolve();
    });
    child.onExit((code) => onExit(code));
    child.onMessage((raw) => {
      const parsed = fromServerSchema.safeParse(raw);
      if (parsed.success) for (const listener of messages) listener(parsed.data);
    });
    const entry: Running = { child, port, exited, messages };

    const answer = await new Promise<FromServer | { type: 'exit' } | { type: 'timeout' }>(
      (resolve) => {
        const timer = setTimeout(
          () => resolve({ type: 'timeout' }),
          this.options.startTimeoutMs ?? 20_000,
        );
        const listener = (message: FromServer) => {
          if (message.type === 'closed') return;
          clearTimeout(timer);
          messages.delete(listener);
          resolve(message);
        };
        messages.add(listener);
        void exited.then(() => {
          clearTimeout(timer);
          resolve({ type: 'exit' });
        });
        child.postMessage({
          type: 'start',
          host: this.options.host,
          port,
          dataDir: this.options.dataDir,
          corsOrigins: this.options.corsOrigins,
          ...(this.options.logFile ? { logFile: this.options.logFile } : {}),
        });
      },
    );

    if (answer.type === 'ready') {
      entry.port = answer.port;
      this.running = entry;
      // A server that dies later is simply no longer running.
      void exited.then(() => {
        if (this.running === entry) this.running = undefined;
      });
      return { ok: true, value: { port: answer.port } };
    }
    child.kill();
    if (answer.type === 'error' && answer.code === 'port_in_use') {
      return {
        ok: false,
        code: 'port_in_use',
        error: `Port ${port} is already in use on this computer. Choose another port.`,
      };
    }
    const detail =
      answer.type === 'error'
        ? answer.message
        : answer.type === 'exit'
          ? 'the server process exited'
          : 'the server did not start in time';
    return { ok: false, code: 'internal', error: `The server could not start: ${detail}.` };
  }

  private async stopNow(): Promise<void> {
    const entry = this.running;
    if (!entry) return;
    this.running = undefined;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.stopTimeoutMs ?? 10_000);
      const listener = (message: FromServer) => {
        if (message.type !== 'closed') return;
        clearTimeout(timer);
        resolve();
      };
      entry.messages.add(listener);
      void entry.exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    entry.child.postMessage({ type: 'shutdown' });
    await done;
    entry.child.kill();
  }
}
