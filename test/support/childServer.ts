import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An im-server running as its own process through `server/cli.ts`. */
export interface ChildServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Kills it with SIGKILL and waits for the exit. */
  kill(): Promise<void>;
  /** Stops it with SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `server/cli.ts` with `args` and waits for its `listening on` line. */
export function startChildServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
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
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (!match) return;
      const url = match[1]!;
      resolve({
        url,
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
