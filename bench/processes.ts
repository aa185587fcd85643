/** The benchmark's server processes: starting them, and reading their memory and CPU time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});

/** Registers `child` to be stopped when this process exits, however it exits. */
export function own<T extends ChildProcess>(child: T): T {
  children.push(child);
  return child;
}

/** A server process that printed its URL. */
export interface Running {
  url: string;
  child: ChildProcess;
  pid: number;
}

/**
 * Starts `node --import tsx ARGS` in the repository (or in `options.cwd`,
 * another checkout) and resolves once it prints `listening on URL`.
 */
export function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string; extraArgs?: string[] } = {},
): Promise<Running> {
  // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of each server process there.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = own(
    spawn(
      process.execPath,
      [...profile, '--import', 'tsx', ...args, ...(options.extraArgs ?? [])],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (m) resolve({ url: m[1]!, child, pid: child.pid! });
    });
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(`${args[0]} exited ${code}\n`);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

/** Resident set size of process `pid`, KB. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** CPU time (user + system) process `pid` has used so far, ms (10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU time the whole machine has spent busy so far (all cores, every process), ms. */
export function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
  return ((user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * 1000) / 100;
}
