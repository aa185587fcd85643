import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '@playwright/test';
import { startChildServer, type ChildServer } from '../../../support/childServer';

/** Retry policy flags handed to the server (and by it to its clients). */
export interface Policy {
  ackTimeoutMs?: number;
  maxAttempts?: number;
}

/**
 * A real im-server for one scenario, on a port of its own, with its own data
 * directory. It can be killed (SIGKILL) and restarted on the same port with
 * the same data, as a crashed server would be.
 */
export class ScenarioServer {
  private child: ChildServer | undefined;
  private dataDir: string | undefined;
  private port = 0;

  /** `tls`: serve https with the automatic certificate (the production default) instead of http. */
  constructor(
    private readonly policy: Policy = {},
    private readonly options: { tls?: boolean } = {},
  ) {}

  /** Base URL, e.g. `http://127.0.0.1:43121` (`https://` with `tls`). */
  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** The certificate's fingerprint, with `tls`, once started. */
  fingerprint: string | undefined;

  /** Starts it (the first time on a free port, later on the same one). */
  async start(): Promise<void> {
    this.dataDir ??= mkdtempSync(path.join(tmpdir(), 'tickline-e2e-'));
    const args = ['--host', '127.0.0.1', '--port', String(this.port), '--data', this.dataDir];
    args.push('--log-level', 'warn');
    if (this.policy.ackTimeoutMs) {
      args.push('--client-ack-timeout-ms', String(this.policy.ackTimeoutMs));
    }
    if (this.policy.maxAttempts) {
      args.push('--client-max-attempts', String(this.policy.maxAttempts));
    }
    if (this.options.tls) args.push('--tls', 'auto');
    this.child = await startChildServer(args);
    this.port = this.child.port;
    this.fingerprint = this.child.fingerprint;
  }

  /** SIGKILL: the server dies at once, as in a crash. */
  async kill(): Promise<void> {
    await this.child?.kill();
    this.child = undefined;
  }

  /** Stops it cleanly and deletes its data. */
  async dispose(): Promise<void> {
    await this.child?.stop();
    this.child = undefined;
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = undefined;
  }
}

/** A {@link ScenarioServer} started before this file's tests and disposed of after them. */
export function useScenarioServer(
  policy: Policy = {},
  options: { tls?: boolean } = {},
): ScenarioServer {
  const server = new ScenarioServer(policy, options);
  test.beforeAll(() => server.start());
  test.afterAll(() => server.dispose());
  return server;
}
