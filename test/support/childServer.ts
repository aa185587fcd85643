import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An im-server running as its own process through `server/cli.ts`. */
export interface ChildServer {
  url: string;
  /** The certificate fingerprint it printed (`AB:CD:…`), when it serves https. */
  fingerprint?: string;
  port: number;
  /** The setup code it printed (an empty server whose registration is not open). */
  setupCode?: string;
  process: ChildProcess;
  /** Kills it with SIGKILL and waits for the exit. */
  kill(): Promise<void>;
  /** Stops it with SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** How to start the child. */
export interface ChildServerOptions {
  /**
   * A command prefix the server runs under, e.g. `['ip', 'netns', 'exec', ns]`
   * (it must exec the command, so that signals reach the server itself).
   */
  wrap?: string[];
  /** Flags put before `args` instead of {@link CHILD_DEFAULT_ARGS} (e.g. `[]` for the CLI's own defaults). */
  defaults?: readonly string[];
}

/**
 * Flags every child server gets before the test's own (which override them):
 * open registration, plain http (TLS is tested on its own), and no mDNS
 * advertising (tests must not multicast on the host's LAN).
 */
export const CHILD_DEFAULT_ARGS: readonly string[] = [
  '--registration',
  'open',
  '--tls',
  'off',
  '--discovery',
  'off',
];

/** Starts `server/cli.ts` with `args` and waits for its `listening on` line. */
export function startChildServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: ChildServerOptions = {},
): Promise<ChildServer> {
  const command = [
    ...(options.wrap ?? []),
    process.execPath,
    '--import',
    'tsx',
    'server/cli.ts',
    // Tests register people freely unless they ask otherwise (a later flag wins).
    ...(options.defaults ?? CHILD_DEFAULT_ARGS),
    ...args,
  ];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  // A test that times out must not leave its server running after the run.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    let url: string | undefined;
    let setupCode: string | undefined;
    lines.on('line', (line) => {
      // Printed before the ready line.
      setupCode ??= /^setup code: (\S+)$/.exec(line)?.[1];
      const listening = /^listening on (https?:\/\/\S+)$/.exec(line);
      if (listening) url = listening[1]!;
      // An https server prints its certificate's fingerprint on the next line.
      const printed = /^certificate sha256 fingerprint: (\S+)$/.exec(line)?.[1];
      if (!url || (url.startsWith('https:') && !printed)) return;
      if (!listening && !printed) return;
      resolve({
        url,
        ...(printed ? { fingerprint: printed } : {}),
        ...(setupCode ? { setupCode } : {}),
        port: Number(new URL(url).port),
        process: child,
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) =>
      reject(new Error(`server exited (${code}) before listening:\n${stderr}`)),
    );
  });
}
