/**
 * Scenario 4: A reloads the page right after pressing Send while the server
 * is down; after the server returns, the message is delivered, once.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  connection,
  contact,
  incoming,
  openConversation,
  outgoing,
  screenshot,
  send,
  signUp,
  uniqueName,
  REACHED,
  expectShownOnce,
} from './support/ui';

// A long retry budget: the message must wait (pending), not fail.
const server = useScenarioServer({ ackTimeoutMs: 4_000, maxAttempts: 5 });

test('reload right after Send while the server is down: delivered once', async ({ browser }) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const a = await signUp(browser, server.url, nameA);
  const b = await signUp(browser, server.url, nameB);
  await openConversation(a, nameB);
  await openConversation(b, nameA);
  // The page itself must load while the server is down: the web client keeps
  // its app shell in a service worker (installed on the first visit).
  await a.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });

  await server.kill();
  const text = 'Written offline, then the page was reloaded';
  const message = await send(a, text);
  await expect(message).toHaveAttribute('data-status', 'pending');
  await a.reload();

  // Still signed in after the reload; the message is still there, waiting.
  await expect(contact(a, nameB)).toBeVisible();
  await expect(connection(a)).not.toHaveAttribute('data-state', 'connected');
  await openConversation(a, nameB);
  await expect(outgoing(a, text)).toHaveAttribute('data-status', 'pending');
  await screenshot(a, 'e2e-4-pending-after-reload');

  await server.start();
  await expect(connection(a)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(outgoing(a, text)).toHaveAttribute('data-status', REACHED, { timeout: 30_000 });
  await expectShownOnce(outgoing(a, text), [a, b]);
  await expectShownOnce(incoming(b, text), [b, a]);
  await screenshot(a, 'e2e-4-delivered');
  await a.context().close();
  await b.context().close();
});
