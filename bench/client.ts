/**
 * The web client's performance: `npx tsx bench/client.ts [--quick] [--json]`.
 *
 * Builds nothing: reads out/web (`npm run build:web` first) and serves it
 * from a real im-server (a child process, fresh data directory, no rate
 * limit or inbox quota). Then, in headless Chromium:
 * 1. bundle: every JavaScript response of the first view (sign-in page, then
 *    signed in with a conversation open), gzipped, against 200 kB;
 * 2. open: a day's history (default: 10,000 messages in one conversation,
 *    a quarter of them the reader's own from another device, plus 49 other
 *    people with 20 messages each: 50 conversations, 10,980 messages) is
 *    caught up by the reader's browser; then the time from a click on the big
 *    conversation's contact entry to its newest message on screen, first
 *    open and median of the reopens (switching to another conversation and
 *    back), against 300 ms;
 * 3. scroll: the history scrolled up continuously through 3,000 messages,
 *    frame intervals from requestAnimationFrame, against 60 fps (at least
 *    58 fps on average and a p95 interval of at most 20 ms);
 * 4. memory: the page's JS heap after a forced GC and the renderer's RSS.
 * `--quick`: 1,000 + 9 × 10 messages, 300 scrolled, under a minute.
 * `--profile DIR`: also writes CPU profiles (.cpuprofile) of the first open and of the
 * scroll, and a Chrome trace of a reopen, and logs their top entries.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChildServer } from '../test/support/childServer';
import { WEB_ROOT } from '../test/support/webBundle';
import { launchChromium } from './clientBrowser';
import { measureFirstView } from './clientFirstView';
import { measureHistory } from './clientHistory';
import { clientBenchOptions } from './clientOptions';
import { markdownTable, type ClientRow } from './clientRows';
import { connect, push, registerAll } from './clientSeed';

const options = clientBenchOptions();
const log = (line: string) => process.stderr.write(`[bench:client] ${line}\n`);

async function main(): Promise<void> {
  if (!existsSync(path.join(WEB_ROOT, 'index.html'))) {
    console.error(
      `bench/client.ts: ${WEB_ROOT}/index.html is missing. It builds nothing itself: run \`npm run build:web\` first.`,
    );
    process.exit(1);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tickline-bench-client-'));
  const server = await startChildServer([
    ...['--host', '127.0.0.1', '--port', '0', '--data', dir, '--log-level', 'warn'],
    ...['--rate-limit', '0', '--inbox-quota', '0', '--max-in-flight', '0'],
    ...['--registrations-per-address', '0'],
  ]);
  const browser = await launchChromium();
  const rows: ClientRow[] = [];
  try {
    log(`server ${server.url}, Chromium ${browser.version()}`);
    const others = Array.from(
      { length: options.otherSenders },
      (_, i) => `friend${String(i + 1).padStart(2, '0')}`,
    );
    const [fvAlice, fvBob, reader, big, ...friends] = await registerAll(server.url, [
      ...['fvalice', 'fvbob', 'reader', 'bigsender'],
      ...others,
    ]);
    const bob = await connect(server.url, fvBob!.token);
    await push(
      [1, 2, 3].map((n) => ({ from: bob, to: fvAlice!.userId, id: `fv${n}`, body: `Hello #${n}` })),
      1,
    );
    bob.close();
    log('bundle: first view');
    rows.push(...(await measureFirstView(browser, server.url, 'fvalice', 'fvbob')));
    rows.push(
      ...(await measureHistory(
        browser,
        server.url,
        { reader: reader!, big: big!, friends },
        options,
        log,
      )),
    );
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (options.json) {
    for (const row of rows) console.log(JSON.stringify(row));
    return;
  }
  console.log(
    [
      `# Tickline web client (${options.quick ? 'quick run' : 'full run'})`,
      '',
      'Headless Chromium without a GPU (software compositing, no real display): frame',
      'timings stand in for a real screen and may differ from it. Memory is the web client',
      'in Chromium, standing in for the desktop window (the Electron binary cannot be',
      'downloaded on this machine).',
      '',
      markdownTable(rows),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
