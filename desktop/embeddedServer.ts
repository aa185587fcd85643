/**
 * Starts and stops the embedded im-server in a separate process and waits for
 * its answers; restarts it, with backoff, when it dies on its own. The process
 * is abstracted as {@link ServerChild} so that this logic runs without
 * Electron: `electron/main/index.ts` adapts Electron's `utilityProcess`, tests use an
 * in-memory channel to {@link createServerWorker} or a forked Node process.
 */
import type { BridgeResult, HostEvent, HostRegistration } from '../protocol/desktop';
import {
  DEFAULT_RESTART_POLICY,
  RestartBackoff,
  type RestartDecision,
  type RestartPolicy,
} from './restartPolicy';
import { fromServerSchema, type FromServer, type ToServer } from './serverMessages';

/** The embedded server's process as the main process sees it. */
export interface ServerChild {
  postMessage(message: ToServer): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number) => void): void;
  kill(): void;
}

/** How {@link EmbeddedServer} is set up. */
export interface EmbeddedServerOptions {
  spawn: () => ServerChild;
  dataDir: string;
  corsOrigins: string[];
  logFile?: string;
  /** `auto` (default): TLS with the server's own certificate; `off`: plain http (tests). */
  tls?: 'auto' | 'off';
  /** The web client's build, served to colleagues without the app. */
  webRoot?: string;
  /** Name advertised on the LAN. */
  name?: string;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** How long a closed server's process may take to exit before it is killed. */
  exitTimeoutMs?: number;
  /** Backoff of restarts after the server died on its own (defaults: 1 s, 2 s, 4 s …). */
  restart?: Partial<RestartPolicy>;
  /** Clock, for how long a server ran before dying. */
  now?: () => number;
}

/** Where and how the server runs: one interface (never every one), a port, who may join. */
export interface RunConfig {
  host: string;
  port: number;
  registration: HostRegistration;
}

/** A started server: its port, over TLS its certificate's fingerprint, and any setup code. */
export interface Started {
  port: number;
  fingerprint?: string;
  /** Made at this start because the server has no account yet (see `ImServer.setupCode`). */
  setupCode?: string;
}

interface Running {
  child: ServerChild;
  config: RunConfig;
  port: number;
  fingerprint?: string;
  setupCode?: string;
  startedAt: number;
  exitCode: Promise<number>;
  messages: Set<(message: FromServer) => void>;
}

/** The embedded server as the main process controls it: start, stop, restart after a crash. */
export class EmbeddedServer {
  private running: Running | undefined;
  /** Start and stop run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly backoff: RestartBackoff;
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every start/stop the person asks for: a pending restart is then void. */
  private generation = 0;

  constructor(private readonly options: EmbeddedServerOptions) {
    this.backoff = new RestartBackoff({ ...DEFAULT_RESTART_POLICY, ...options.restart });
  }

  /** Calls `listener` when the server died and is restarted, runs again, or is given up. */
  onEvent(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The port of the running server, if any. */
  get port(): number | undefined {
    return this.running?.port;
  }

  /** The interface the running server is bound to, if any. */
  get host(): string | undefined {
    return this.running?.config.host;
  }

  /** The running server's certificate fingerprint, if any. */
  get fingerprint(): string | undefined {
    return this.running?.fingerprint;
  }

  /**
   * The setup code the running server made at its start, when it had no
   * account then (it stops working once the first account exists).
   */
  get setupCode(): string | undefined {
    return this.running?.setupCode;
  }

  /** Starts the server with `config` (stopping one started differently first). */
  start(config: RunConfig): Promise<BridgeResult<Started>> {
    this.cancelRestart();
    this.backoff.reset();
    return this.enqueue(async () => {
      const running = this.running;
      if (
        running &&
        running.port === config.port &&
        running.config.host === config.host &&
        running.config.registration === config.registration
      ) {
        return { ok: true as const, value: started(running) };
      }
      await this.stopNow();
      return this.startNow(config);
    });
  }

  /** Asks the server to close (its store is flushed) and waits; kills it after a timeout. */
  stop(): Promise<void> {
    this.cancelRestart();
    return this.enqueue(() => this.stopNow());
  }

  private cancelRestart(): void {
    this.generation += 1;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private emit(event: HostEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The running server's process exited without being asked to. */
  private died(entry: Running, code: number): void {
    const ranForMs = this.now() - entry.startedAt;
    // The same port as before (a port of 0 was resolved when it started).
    this.afterFailure(
      { ...entry.config, port: entry.port },
      this.backoff.failed(ranForMs),
      `the server process exited with code ${code}`,
    );
  }

  private afterFailure(config: RunConfig, decision: RestartDecision, error: string): void {
    if (decision.action === 'give-up') {
      this.emit({ type: 'gave-up', error });
      return;
    }
    const generation = this.generation;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.enqueue(() => this.restartNow(config, generation));
    }, decision.delayMs);
    this.emit({ type: 'restarting', seconds: Math.ceil(decision.delayMs / 1000) });
  }

  private async restartNow(config: RunConfig, generation: number): Promise<void> {
    if (generation !== this.generation || this.running) return;
    const started = await this.startNow(config);
    if (generation !== this.generation) return;
    if (started.ok) {
      this.emit({ type: 'restarted', port: started.value.port });
      return;
    }
    this.afterFailure(config, this.backoff.failed(0), started.error);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async startNow(config: RunConfig): Promise<BridgeResult<Started>> {
    const { port } = config;
    const child = this.options.spawn();
    const messages = new Set<(message: FromServer) => void>();
    let onExit: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => {
      onExit = resolve;
    });
    const exited = exitCode.then(() => undefined);
    child.onExit((code) => onExit(code));
    child.onMessage((raw) => {
      const parsed = fromServerSchema.safeParse(raw);
      if (parsed.success) for (const listener of messages) listener(parsed.data);
    });
    const entry: Running = { child, config, port, startedAt: this.now(), exitCode, messages };

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
          host: config.host,
          port,
          registration: config.registration,
          tls: this.options.tls ?? 'auto',
          dataDir: this.options.dataDir,
          corsOrigins: this.options.corsOrigins,
          ...(this.options.logFile ? { logFile: this.options.logFile } : {}),
          ...(this.options.webRoot ? { webRoot: this.options.webRoot } : {}),
          ...(this.options.name ? { name: this.options.name } : {}),
        });
      },
    );

    if (answer.type === 'ready') {
      entry.port = answer.port;
      if (answer.fingerprint) entry.fingerprint = answer.fingerprint;
      if (answer.setupCode) entry.setupCode = answer.setupCode;
      entry.startedAt = this.now();
      this.running = entry;
      // A server that dies later (not stopped by `stop`) is restarted with backoff.
      void exitCode.then((code) => {
        if (this.running !== entry) return;
        this.running = undefined;
        this.died(entry, code);
      });
      return { ok: true, value: started(entry) };
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
      void entry.exitCode.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    entry.child.postMessage({ type: 'shutdown' });
    await done;
    // After `closed` the process exits by itself; kill it only if it does not.
    const exited = await Promise.race([
      entry.exitCode.then(() => true),
      new Promise<false>((resolve) =>
        setTimeout(resolve, this.options.exitTimeoutMs ?? 2_000, false),
      ),
    ]);
    if (!exited) {
      entry.child.kill();
      await entry.exitCode;
    }
  }
}

function started(entry: Running): Started {
  return {
    port: entry.port,
    ...(entry.fingerprint ? { fingerprint: entry.fingerprint } : {}),
    ...(entry.setupCode ? { setupCode: entry.setupCode } : {}),
  };
}
