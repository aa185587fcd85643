// Builds the web client (out/web) when it is missing or older than its
// sources (renderer/, client/, protocol/); otherwise does nothing. Runs
// before `npm run serve` and the browser end-to-end tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'out/web/index.html');
const sources = ['renderer', 'client', 'protocol', 'vite.web.config.ts'];

/** Newest modification time under `path` (ms), 0 when absent. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
const sourcesAt = Math.max(...sources.map((s) => newest(join(root, s))));
if (builtAt === 0 || sourcesAt > builtAt) {
  console.log('[ensure-web-build] building the web client (out/web)…');
  const result = spawnSync('npx', ['vite', 'build', '--config', 'vite.web.config.ts'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
