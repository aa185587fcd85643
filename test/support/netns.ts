/**
 * Real network faults for tests: the server runs in a Linux network namespace
 * of its own, joined to the root namespace (where the clients run) by a veth
 * pair, and faults are nftables rules in that namespace (table `inet tl`), so
 * they touch nothing but the test's own traffic. Needs root, `ip` and `nft`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { DiscoveredServer } from '../../server/discovery';
import { startChildServer, type ChildServer } from './childServer';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Every namespace and veth this harness makes starts with this. */
const PREFIX = 'tl';
const NS_NAME = /^tl-(?:srv|cli)-(\d+)-(\d+)$/;
const VETH_NAME = /^tl(\d+)[ab](\d+)$/;
const DATA_DIR = /^tickline-netns-(\d+)-\w+$/;
/** Addresses come from 10.231.0.0/16, one /30 per lab. */
const NET = [10, 231] as const;
const TABLE = 'inet tl';

/** Runs a command; its stdout, or an error carrying its stderr. */
function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}

/** Runs a removal that may find nothing to remove (a leftover already gone). */
function remove(command: string, args: string[], gone: RegExp): void {
  try {
    run(command, args);
  } catch (error) {
    if (!gone.test(String(error))) throw error;
  }
}

let unavailable: { reason: string | undefined } | undefined;

/**
 * Why this machine cannot run the network tests (not root, no `ip` or `nft`,
 * namespaces refused), or undefined when it can. Checked once per process.
 */
export function netnsUnavailable(): string | undefined {
  unavailable ??= { reason: probe() };
  return unavailable.reason;
}

/**
 * The environment variable with which a person skips the network tests on
 * purpose, its value saying why (e.g. `TICKLINE_SKIP_NETWORK="no root in
 * this container"`). Without it, a machine that cannot run them fails them.
 */
export const SKIP_NETWORK = 'TICKLINE_SKIP_NETWORK';

/** What to do with a network test file: run it, skip it (the person said why), or fail it. */
export type NetworkDecision =
  { run: true } | { run: false; skipped: string } | { run: false; failure: string };

/**
 * Decides for the file `what` from the opt-out (the value of
 * {@link SKIP_NETWORK}, if set) and why namespaces are unavailable (undefined
 * when they are available). Only an explicit opt-out with a reason skips.
 */
export function networkDecision(
  what: string,
  optOut: string | undefined,
  unavailableBecause: string | undefined,
): NetworkDecision {
  if (optOut !== undefined) {
    if (optOut.trim() === '') {
      return {
        run: false,
        failure: `${SKIP_NETWORK} is set but empty: say why the network tests are skipped (${SKIP_NETWORK}=<reason>)`,
      };
    }
    return { run: false, skipped: `${what} SKIPPED on purpose: ${SKIP_NETWORK}=${optOut}` };
  }
  if (unavailableBecause === undefined) return { run: true };
  return {
    run: false,
    failure:
      `${what} cannot run: network namespaces are unavailable here (${unavailableBecause}). ` +
      'The network tests need Linux, root, `ip` (iproute2) and `nft` (nftables); ' +
      `to skip them on purpose, run with ${SKIP_NETWORK}=<the reason>.`,
  };
}

/**
 * Whether the network test file `what` runs. It does where namespaces can be
 * created; where they cannot, this throws (the file fails, saying why)
 * unless the person opted out with {@link SKIP_NETWORK}=<reason>: then the
 * skip and its reason are printed, loudly, and this returns false.
 */
export function networkTestsRun(what: string): boolean {
  const optOut = process.env[SKIP_NETWORK];
  const decision = networkDecision(
    what,
    optOut,
    optOut === undefined ? netnsUnavailable() : undefined,
  );
  if (decision.run) return true;
  if ('failure' in decision) throw new Error(decision.failure);
  const line = '!'.repeat(Math.min(100, decision.skipped.length + 8));
  console.warn(`\n${line}\n!!! ${decision.skipped}\n${line}\n`);
  return false;
}

function probe(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  for (const [tool, flag] of [
    ['ip', '-V'],
    ['nft', '-v'],
  ] as const) {
    const result = spawnSync(tool, [flag], { encoding: 'utf8' });
    if (result.error || result.status !== 0) return `\`${tool}\` is not installed or fails`;
  }
  const name = `${PREFIX}-srv-${process.pid}-0`;
  try {
    run('ip', ['netns', 'add', name]);
    run('ip', ['netns', 'del', name]);
  } catch (error) {
    return `cannot create a network namespace: ${String(error)}`;
  }
  return undefined;
}

function alive(pid: number): boolean {
  return pid === process.pid || existsSync(`/proc/${pid}`);
}

/**
 * Deletes what killed earlier runs left behind: `tl-srv-<pid>-<n>`
 * namespaces (with their nft tables, after SIGKILLing what still runs in
 * them), `tl<pid>a<n>` veths and `tickline-netns-<pid>-*` data directories
 * whose process is gone. Those of live processes (another test run now) are kept.
 * Returns the names removed.
 */
export function removeStale(): string[] {
  const removed: string[] = [];
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = NS_NAME.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    // A server the dead run started there (it outlives its parent): stop it first.
    for (const pid of run('ip', ['netns', 'pids', name]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch (error) {
        // Gone by itself meanwhile: nothing left to stop.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    remove('ip', ['netns', 'del', name], /No such file/);
    removed.push(name);
  }
  for (const entry of readdirSync(tmpdir())) {
    const match = DATA_DIR.exec(entry);
    if (!match || alive(Number(match[1]))) continue;
    rmSync(path.join(tmpdir(), entry), { recursive: true, force: true });
    removed.push(entry);
  }
  for (const line of run('ip', ['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+: ([^:@\s]+)/.exec(line)?.[1] ?? '';
    const match = VETH_NAME.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    remove('ip', ['link', 'del', name], /Cannot find device/);
    removed.push(name);
  }
  return removed;
}

/** Packets matched by each fault rule (by rule name, e.g. `loss-in`), removed rules included. */
export type Counters = Record<string, number>;

/** Faults of one lab, as nftables rules on the server's side of the veth. */
export interface Faults {
  /** Drops `percent`% (1–100) of the packets in each direction, at random. */
  loss(percent: number): void;
  /** Drops every packet in both directions: a silent partition. */
  partition(): void;
  /** Answers every TCP segment to or from the server's `port` with a reset. */
  resets(port: number): void;
  /**
   * Removes every fault. Their counts stay in {@link Faults.counters} (but
   * for a packet matched in the instant between reading them and the flush).
   */
  heal(): void;
  /** Packets each fault rule matched so far. */
  counters(): Counters;
}

/** A server namespace joined to the root namespace by a veth pair. */
export interface NetLab {
  /** The server's namespace, `tl-srv-<pid>-<n>`. */
  ns: string;
  /** The root namespace's end (where clients connect from). */
  clientIp: string;
  /** The server namespace's end (where the server listens). */
  serverIp: string;
  /** The veth ends: in the root namespace, in the server's. */
  veth: { root: string; server: string };
  faults: Faults;
  /** Runs `command` inside the server's namespace; its stdout. */
  exec(command: string, args: string[], input?: string): string;
  /**
   * Starts `server/cli.ts` inside the namespace, listening on `serverIp`,
   * port 0, with a fresh data directory (removed by `destroy`).
   */
  startServer(args?: string[], env?: NodeJS.ProcessEnv): Promise<ChildServer>;
  /** Kills its servers, deletes the nft table, the veth pair and the namespace. */
  destroy(): Promise<void>;
}

let labs = 0;

function taken(a: number, b: number): boolean {
  const out = run('ip', ['-o', '-4', 'addr', 'show']);
  const prefix = `${NET[0]}.${NET[1]}.${a}.`;
  return out
    .split('\n')
    .some((line) => line.includes(`inet ${prefix}`) && subnetOf(line, prefix) === b);
}

function subnetOf(line: string, prefix: string): number {
  const last = Number(line.split(`inet ${prefix}`)[1]?.split('/')[0]);
  return last - (last % 4);
}

/** A free /30 of 10.231.0.0/16, chosen from the pid and the lab's number. */
function pickSubnet(n: number): { a: number; b: number } {
  for (let i = 0; i < 16384; i++) {
    const index = (process.pid * 8 + n + i * 7919) % 16384;
    const a = index >> 6;
    const b = (index & 63) * 4;
    if (!taken(a, b)) return { a, b };
  }
  throw new Error('no free /30 left in 10.231.0.0/16');
}

/**
 * Creates a lab: namespace `tl-srv-<pid>-<n>`, veth `tl<pid>a<n>` (root
 * side, `.1`) to `tl<pid>b<n>` (server side, `.2`), and the empty nft table
 * `inet tl` with `input` and `output` chains. Stale labs of dead processes
 * are removed first. Everything made is undone if a step fails.
 */
export function createNetLab(): NetLab {
  const reason = netnsUnavailable();
  if (reason) throw new Error(`network namespaces unavailable: ${reason}`);
  removeStale();
  const n = ++labs;
  const ns = `${PREFIX}-srv-${process.pid}-${n}`;
  const veth = { root: `${PREFIX}${process.pid}a${n}`, server: `${PREFIX}${process.pid}b${n}` };
  const { a, b } = pickSubnet(n);
  const clientIp = `${NET[0]}.${NET[1]}.${a}.${b + 1}`;
  const serverIp = `${NET[0]}.${NET[1]}.${a}.${b + 2}`;
  const exec = (command: string, args: string[], input?: string) =>
    run('ip', ['netns', 'exec', ns, command, ...args], input);
  const undo = () => {
    remove('ip', ['link', 'del', veth.root], /Cannot find device/);
    remove('ip', ['netns', 'del', ns], /No such file/);
  };
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', veth.root, 'type', 'veth', 'peer', 'name', veth.server]);
    run('ip', ['link', 'set', veth.server, 'netns', ns]);
    run('ip', ['addr', 'add', `${clientIp}/30`, 'dev', veth.root]);
    run('ip', ['link', 'set', veth.root, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${serverIp}/30`, 'dev', veth.server]);
    run('ip', ['-n', ns, 'link', 'set', veth.server, 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    exec(
      'nft',
      ['-f', '-'],
      `table ${TABLE} {
  chain input { type filter hook input priority 0; policy accept; }
  chain output { type filter hook output priority 0; policy accept; }
}
`,
    );
  } catch (error) {
    undo();
    throw error;
  }

  const servers = new Set<ChildServer>();
  const dataDirs: string[] = [];
  const faults = nftFaults(exec, veth.server);
  return {
    ns,
    clientIp,
    serverIp,
    veth,
    faults,
    exec,
    async startServer(args = [], env = {}) {
      const dir = mkdtempSync(path.join(tmpdir(), `tickline-netns-${process.pid}-`));
      dataDirs.push(dir);
      const server = await startChildServer(
        ['--host', serverIp, '--port', '0', '--data', dir, ...args],
        env,
        { wrap: ['ip', 'netns', 'exec', ns] },
      );
      servers.add(server);
      void server.process.once('exit', () => servers.delete(server));
      return server;
    },
    async destroy() {
      for (const server of [...servers]) await server.kill();
      servers.clear();
      if (existsSync(`/run/netns/${ns}`)) {
        remove(
          'ip',
          ['netns', 'exec', ns, 'nft', 'delete', 'table', ...TABLE.split(' ')],
          /No such file/,
        );
      }
      undo();
      for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fault rule: its name (the nft comment), chain and match. */
interface Rule {
  name: string;
  chain: 'input' | 'output';
  match: string;
  verdict: 'drop' | 'reject with tcp reset';
}

function nftFaults(
  exec: (command: string, args: string[], input?: string) => string,
  dev: string,
): Faults {
  const kept: Counters = {};
  const add = (rules: Rule[]) =>
    exec(
      'nft',
      ['-f', '-'],
      rules
        .map(
          (r) =>
            `add rule ${TABLE} ${r.chain} ${r.chain === 'input' ? 'iifname' : 'oifname'} "${dev}" ${r.match} counter ${r.verdict} comment "${r.name}"\n`,
        )
        .join(''),
    );
  const current = (): Counters => {
    const listed = JSON.parse(exec('nft', ['-j', 'list', 'table', ...TABLE.split(' ')])) as {
      nftables: {
        rule?: { comment?: string; expr: { counter?: { packets: number } }[] };
      }[];
    };
    const counts: Counters = {};
    for (const item of listed.nftables) {
      const rule = item.rule;
      if (!rule?.comment) continue;
      const packets = rule.expr.find((e) => e.counter)?.counter?.packets ?? 0;
      counts[rule.comment] = (counts[rule.comment] ?? 0) + packets;
    }
    return counts;
  };
  const counters = (): Counters => {
    const sum: Counters = { ...kept };
    for (const [name, packets] of Object.entries(current())) sum[name] = (sum[name] ?? 0) + packets;
    return sum;
  };
  return {
    loss(percent) {
      if (!Number.isInteger(percent) || percent < 1 || percent > 100) {
        throw new RangeError(`loss must be an integer percentage from 1 to 100, got ${percent}`);
      }
      const match = percent === 100 ? '' : `numgen random mod 100 < ${percent}`;
      add([
        { name: 'loss-in', chain: 'input', match, verdict: 'drop' },
        { name: 'loss-out', chain: 'output', match, verdict: 'drop' },
      ]);
    },
    partition() {
      add([
        { name: 'partition-in', chain: 'input', match: '', verdict: 'drop' },
        { name: 'partition-out', chain: 'output', match: '', verdict: 'drop' },
      ]);
    },
    resets(port) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new RangeError(`port must be an integer from 1 to 65535, got ${port}`);
      }
      add([
        {
          name: 'reset-in',
          chain: 'input',
          match: `tcp dport ${port}`,
          verdict: 'reject with tcp reset',
        },
        {
          name: 'reset-out',
          chain: 'output',
          // Not the resets themselves (reset-in's answers leave through output too).
          match: `tcp sport ${port} tcp flags & rst == 0`,
          verdict: 'reject with tcp reset',
        },
      ]);
    },
    heal() {
      for (const [name, packets] of Object.entries(current())) {
        kept[name] = (kept[name] ?? 0) + packets;
      }
      exec('nft', ['-f', '-'], `flush chain ${TABLE} input\nflush chain ${TABLE} output\n`);
    },
    counters,
  };
}

/** Whether `server/cli.ts` knows `flag` (features other work adds, e.g. `--rate-limit`). */
export function cliHasFlag(flag: string): boolean {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return help.includes(flag);
}

/**
 * Two namespaces on one link, like two computers on an office LAN: a server's
 * (`tl-srv-<pid>-<n>`) and a client's (`tl-cli-<pid>-<n>`), joined by a veth
 * pair, each with a multicast route on it, so mDNS flows between them and
 * nowhere else (the root namespace and the host's LAN see none of it).
 */
export interface LanPair {
  serverNs: string;
  clientNs: string;
  serverIp: string;
  clientIp: string;
  /** Starts `server/cli.ts` in the server's namespace on `serverIp`, port 0, a fresh data directory. */
  startServer(args?: string[], env?: NodeJS.ProcessEnv): Promise<ChildServer>;
  /**
   * Runs `browseServers` in the client's namespace until `done` holds for
   * the list found (resolves with it) or `timeoutMs` passes (resolves with
   * the last list, possibly empty).
   */
  browse(
    done: (servers: DiscoveredServer[]) => boolean,
    timeoutMs: number,
  ): Promise<{ servers: DiscoveredServer[]; timedOut: boolean }>;
  /** Kills the servers, deletes both namespaces (and with them the veth pair). */
  destroy(): Promise<void>;
}

/** The browsing child: prints each list `browseServers` reports as a JSON line. */
const BROWSE_SCRIPT = `
import { browseServers } from './server/discovery.ts';
const browser = browseServers((servers) => console.log(JSON.stringify(servers)), {
  onError: (error) => console.error(String(error)),
});
process.on('SIGTERM', () => { browser.stop(); process.exit(0); });
`;

/** Creates a {@link LanPair}. Stale labs of dead processes are removed first. */
export function createLanPair(): LanPair {
  const reason = netnsUnavailable();
  if (reason) throw new Error(`network namespaces unavailable: ${reason}`);
  removeStale();
  const n = ++labs;
  const serverNs = `${PREFIX}-srv-${process.pid}-${n}`;
  const clientNs = `${PREFIX}-cli-${process.pid}-${n}`;
  const veth = { client: `${PREFIX}${process.pid}a${n}`, server: `${PREFIX}${process.pid}b${n}` };
  const { a, b } = pickSubnet(n);
  const clientIp = `${NET[0]}.${NET[1]}.${a}.${b + 1}`;
  const serverIp = `${NET[0]}.${NET[1]}.${a}.${b + 2}`;
  const undo = () => {
    remove('ip', ['link', 'del', veth.client], /Cannot find device/);
    remove('ip', ['netns', 'del', serverNs], /No such file/);
    remove('ip', ['netns', 'del', clientNs], /No such file/);
  };
  try {
    run('ip', ['netns', 'add', serverNs]);
    run('ip', ['netns', 'add', clientNs]);
    run('ip', ['link', 'add', veth.client, 'type', 'veth', 'peer', 'name', veth.server]);
    for (const [ns, dev, ip] of [
      [clientNs, veth.client, clientIp],
      [serverNs, veth.server, serverIp],
    ] as const) {
      run('ip', ['link', 'set', dev, 'netns', ns]);
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/30`, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // mDNS goes to 224.0.0.251: without a route for it, sending fails.
      run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev]);
    }
  } catch (error) {
    undo();
    throw error;
  }
  const servers = new Set<ChildServer>();
  const dataDirs: string[] = [];
  const browsers = new Set<ChildProcess>();
  return {
    serverNs,
    clientNs,
    serverIp,
    clientIp,
    async startServer(args = [], env = {}) {
      const dir = mkdtempSync(path.join(tmpdir(), `tickline-netns-${process.pid}-`));
      dataDirs.push(dir);
      const server = await startChildServer(
        ['--host', serverIp, '--port', '0', '--data', dir, ...args],
        env,
        { wrap: ['ip', 'netns', 'exec', serverNs] },
      );
      servers.add(server);
      void server.process.once('exit', () => servers.delete(server));
      return server;
    },
    browse(done, timeoutMs) {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          clientNs,
          process.execPath,
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          BROWSE_SCRIPT,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      browsers.add(child);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return new Promise((resolve, reject) => {
        let last: DiscoveredServer[] = [];
        const finish = (timedOut: boolean) => {
          clearTimeout(timer);
          child.kill('SIGTERM');
          browsers.delete(child);
          resolve({ servers: last, timedOut });
        };
        const timer = setTimeout(() => finish(true), timeoutMs);
        createInterface({ input: child.stdout }).on('line', (line) => {
          last = JSON.parse(line) as DiscoveredServer[];
          if (done(last)) finish(false);
        });
        child.once('exit', (code) => {
          if (!browsers.has(child)) return;
          clearTimeout(timer);
          browsers.delete(child);
          reject(new Error(`browser exited (${code}):\n${stderr}`));
        });
      });
    },
    async destroy() {
      for (const child of browsers) child.kill('SIGKILL');
      browsers.clear();
      for (const server of [...servers]) await server.kill();
      servers.clear();
      undo();
      for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
