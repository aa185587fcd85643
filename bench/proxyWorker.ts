/**
 * Runs the fault-injecting Socket.IO proxy (test/support/faultProxy.ts) in a
 * process of its own, for the benchmark's fault scenario.
 */
import { createFaultProxy } from '../test/support/faultProxy';

const target = process.argv[2]!;
const proxy = await createFaultProxy(target);
let dropRate = 0;
let cutter: ReturnType<typeof setInterval> | undefined;
proxy.rules.add(() => dropRate > 0 && Math.random() < dropRate);

process.on('message', (m: { dropRate: number; cutEveryMs: number; cutFraction: number }) => {
  dropRate = m.dropRate;
  if (cutter) clearInterval(cutter);
  cutter = undefined;
  if (m.cutEveryMs > 0) cutter = setInterval(() => proxy.cutRandom(m.cutFraction), m.cutEveryMs);
  const dropped = [...proxy.dropped.values()].reduce((a, b) => a + b, 0);
  process.send!({ dropped });
});
process.send!({ url: proxy.url });
