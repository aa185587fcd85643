/**
 * A real stand-in for Electron's utility process: a forked Node process that
 * runs the embedded server's entry (with `utilityProcessShim.mjs` providing
 * `process.parentPort`), adapted to {@link ServerChild}.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerChild } from '../../../../desktop/embeddedServer';

const SHIM = pathToFileURL(path.join(import.meta.dirname, 'utilityProcessShim.mjs')).href;

/** The utility-process entry from the sources (run through tsx). */
export const SOURCE_ENTRY = path.resolve(
  import.meta.dirname,
  '../../../../desktop/serverProcess.ts',
);

/** Forks `entry` (a `.ts` source through tsx, or a built `.js`) as a utility process. */
export function forkServer(
  entry: string,
  env: NodeJS.ProcessEnv = process.env,
): { child: ServerChild; process: ChildProcess } {
  const execArgv = entry.endsWith('.ts')
    ? ['--import', 'tsx', '--import', SHIM]
    : ['--import', SHIM];
  const proc = fork(entry, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child: ServerChild = {
    postMessage: (message) => {
      if (proc.connected) proc.send(message);
    },
    onMessage: (listener) => proc.on('message', listener),
    onExit: (listener) => proc.once('exit', (code, signal) => listener(code ?? (signal ? 128 : 1))),
    kill: () => {
      proc.kill('SIGKILL');
    },
  };
  return { child, process: proc };
}
