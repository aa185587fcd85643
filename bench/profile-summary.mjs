// Summarises a V8 .cpuprofile: self time by function and by package.
// usage: node bench/profile-summary.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
const byPkg = new Map();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/work\/main\//, '');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const pkg = url.includes('node_modules/')
    ? url
        .split('node_modules/')[1]
        .split('/')
        .slice(0, url.split('node_modules/')[1].startsWith('@') ? 2 : 1)
        .join('/')
    : url.startsWith('node:') || url === ''
      ? functionName.startsWith('(')
        ? functionName
        : 'node internals/native'
      : url.includes('/work/main/')
        ? 'tickline'
        : url;
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
}
const busy = total - (byPkg.get('(idle)') ?? 0);
const pct = (us, key) =>
  ((100 * us) / total).toFixed(1).padStart(5) +
  '%' +
  (key.startsWith('(idle)')
    ? ' '.repeat(16)
    : `${((100 * us) / busy).toFixed(1).padStart(7)}% of busy`);
console.log(`total sampled ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s`);
console.log('\nby package:');
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(pct(v, k), k);
console.log('\nby function (self):');
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v, k), k);
