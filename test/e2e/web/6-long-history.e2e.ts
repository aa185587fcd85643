/**
 * A conversation of 10,000 messages in local storage opens at once, renders
 * only what is on screen (virtualized) and pages back to the first message.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import { contact, openConversation, screenshot, signUp, uniqueName } from './support/ui';

const COUNT = 10_000;
const server = useScenarioServer();

test('10,000 messages: opens fast, virtualized, scrolls back to the first', async ({ browser }) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const a = await signUp(browser, server.url, nameA);
  const b = await signUp(browser, server.url, nameB);
  await expect(contact(a, nameB)).toBeVisible();
  const peer = await b.evaluate(
    () => JSON.parse(localStorage.getItem(`tickline.session:${location.origin}`)!).userId,
  );

  // Seed A's local history (the app's IndexedDB) with 10,000 messages.
  await a.evaluate(
    async ({ peer, count }) => {
      const me = JSON.parse(localStorage.getItem(`tickline.session:${location.origin}`)!).userId;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(`tickline:${location.origin}:${me}`);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const conv = me < peer ? `d:${me}:${peer}` : `d:${peer}:${me}`;
      const tx = db.transaction(['messages', 'convs'], 'readwrite');
      const start = Date.now() - count * 60_000;
      let last = '';
      for (let i = 0; i < count; i++) {
        const out = i % 3 !== 0;
        const id = `seed${String(i).padStart(5, '0')}`;
        const from = out ? me : peer;
        last = `${from}/${id}`;
        const body = `History message #${i}${i % 7 === 0 ? '\nwith a second line' : ''}`;
        const ts = start + i * 60_000;
        tx.objectStore('messages').put({
          key: last,
          id,
          from,
          to: out ? peer : me,
          conv,
          peer,
          direction: out ? 'out' : 'in',
          body,
          seq: i + 1,
          posA: i + 1,
          posB: 0,
          ts,
          ...(out ? { status: 'delivered' } : {}),
        });
      }
      tx.objectStore('convs').put({
        conv,
        kind: 'direct',
        peer,
        lastKey: last,
        lastPosA: count,
        lastPosB: 0,
        activity: start + (count - 1) * 60_000,
        lastSeq: count,
        oldestSeq: 1,
        complete: true,
        readSeq: count,
        readDirty: false,
        snapUnread: 0,
        snapThrough: count,
        liveUnread: 0,
        legacyUnread: 0,
        unread: 0,
      });
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { peer, count: COUNT },
  );
  await a.reload();

  const started = Date.now();
  await openConversation(a, nameB);
  await expect(a.getByTestId('message').filter({ hasText: `#${COUNT - 1}` })).toBeVisible();
  const openMs = Date.now() - started;
  console.log(`opened a ${COUNT}-message conversation in ${openMs} ms`);
  expect(openMs).toBeLessThan(3_000);
  // Only what is on screen (plus overscan) is in the DOM.
  expect(await a.getByTestId('message').count()).toBeLessThan(60);

  // Scroll to the top again and again: older pages load until the first message.
  const log = a.getByRole('log', { name: 'Messages' });
  const scrollStarted = Date.now();
  await expect
    .poll(
      async () => {
        await log.evaluate((el) => el.scrollTo({ top: 0 }));
        return a
          .getByTestId('message')
          .filter({ hasText: /^History message #0\b/ })
          .count();
      },
      { timeout: 60_000, intervals: [50] },
    )
    .toBe(1);
  console.log(`scrolled back through ${COUNT} messages in ${Date.now() - scrollStarted} ms`);
  expect(await a.getByTestId('message').count()).toBeLessThan(60);
  await screenshot(a, 'e2e-6-long-history-top');
  await a.context().close();
  await b.context().close();
});
