/**
 * Scenario 10: a long conversation already on the server; the person signs
 * in on a browser that never saw it. The newest messages show at once, and
 * scrolling up loads older pages from the server until the first message,
 * each message once.
 */
import { expect, test } from '@playwright/test';
import { io } from 'socket.io-client';
import { register } from '../../../client/api';
import { directConversationId } from '../../../protocol';
import { useScenarioServer } from './support/server';
import {
  contact,
  openConversation,
  PASSWORD,
  signIn,
  uniqueName,
  waitUntilQuiet,
} from './support/ui';

const server = useScenarioServer();
const COUNT = 180;

test('a new device shows recent history and loads older pages as the person scrolls up', async ({
  browser,
}) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const alice = await register(server.url, { username: nameA, password: PASSWORD });
  const bob = await register(server.url, { username: nameB, password: PASSWORD });
  // The history, written by alice's and bob's other devices (plain Socket.IO clients).
  const sockets = await Promise.all(
    [alice, bob].map(
      (s) =>
        new Promise<ReturnType<typeof io>>((resolve) => {
          const socket = io(server.url, {
            auth: { token: s.token, protocol: 2 },
            transports: ['websocket'],
          });
          socket.once('connect', () => resolve(socket));
        }),
    ),
  );
  for (let i = 0; i < COUNT; i++) {
    const [from, to] = i % 3 === 0 ? [sockets[1]!, alice] : [sockets[0]!, bob];
    await from
      .timeout(10_000)
      .emitWithAck('msg:R', { id: `h${i}`, to: to.userId, body: `Old #${i}` });
  }
  // Alice's other device has read it all: the new device opens at the newest message
  // (with unread messages it would open at the first unread, issue 11's divider).
  const read = await sockets[0]!
    .timeout(10_000)
    .emitWithAck('read:R', { conv: directConversationId(alice.userId, bob.userId), seq: COUNT });
  expect(read).toMatchObject({ ok: true, readSeq: COUNT });
  for (const s of sockets) s.close();

  const page = await signIn(browser, server.url, nameA);
  await expect(contact(page, nameB)).toContainText(`Old #${COUNT - 1}`);
  await openConversation(page, nameB);
  await expect(page.getByTestId('message').filter({ hasText: `Old #${COUNT - 1}` })).toHaveCount(1);

  const log = page.getByRole('log', { name: 'Messages' });
  await expect
    .poll(
      async () => {
        await log.evaluate((el) => el.scrollTo({ top: 0 }));
        return page.locator('[data-testid="message"][data-msg-id="h0"]').count();
      },
      { timeout: 30_000, intervals: [100] },
    )
    .toBe(1);
  // Each message once, in the server's order, as far as the page shows them, also once the
  // page is quiet (a copy that comes later counts).
  await waitUntilQuiet(page);
  const ids = await page
    .locator('[data-testid="message"]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-msg-id')));
  expect(new Set(ids).size).toBe(ids.length);
  const numbers = ids.map((id) => Number(id!.slice(1)));
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  expect(numbers[0]).toBe(0);
  await page.context().close();
});
