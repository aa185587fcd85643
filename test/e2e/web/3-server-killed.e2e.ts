/**
 * Scenario 3: the server is killed while A sends (short retry policy):
 * `pending` → `failed` → Resend dialog; the server restarts; Resend → A sees
 * it delivered with the same id, B sees the message once.
 */
import { expect, test } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  connection,
  REACHED,
  incoming,
  openConversation,
  outgoing,
  screenshot,
  send,
  signUp,
  uniqueName,
  expectShownOnce,
} from './support/ui';

// Retry budget: 400 + 800 + 1600 ms without msg:A, then `failed`.
const server = useScenarioServer({ ackTimeoutMs: 400, maxAttempts: 3 });

test('server killed while sending: failed, resend after restart, delivered once', async ({
  browser,
}) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const a = await signUp(browser, server.url, nameA);
  const b = await signUp(browser, server.url, nameB);
  await openConversation(a, nameB);
  await openConversation(b, nameA);
  const first = await send(a, 'Before the crash');
  // B has the conversation open, so it may already be read by the time this
  // looks (a busy machine: it was, in a run with both cores kept busy).
  await expect(first).toHaveAttribute('data-status', REACHED);

  await server.kill();
  const message = await send(a, 'Sent while the server is down');
  await expect(message).toHaveAttribute('data-status', 'pending');
  await expect(message.getByRole('img', { name: 'Sending', exact: true })).toBeVisible();
  await expect(message).toHaveAttribute('data-status', 'failed');
  await expect(message.getByRole('img', { name: 'Not delivered', exact: true })).toBeVisible();
  const id = await message.getAttribute('data-msg-id');
  await expect(connection(a)).not.toHaveAttribute('data-state', 'connected');

  // The non-blocking notice.
  const notice = a.getByTestId('failed-notice');
  await expect(notice).toContainText('1 message not delivered');
  await expect(notice.getByRole('button', { name: 'Resend all' })).toBeVisible();

  // Resend → dialog; Cancel keeps it failed (and not sent again).
  await message.getByRole('button', { name: 'Resend', exact: true }).click();
  const dialog = a.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Resend', exact: true })).toBeVisible();
  await screenshot(a, 'e2e-3-resend-dialog');
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(message).toHaveAttribute('data-status', 'failed');

  await server.start();
  await expect(connection(a)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(connection(b)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  // A failed message waits for the user, even once the server is back.
  await expect(message).toHaveAttribute('data-status', 'failed');
  await expect(incoming(b, 'Sent while the server is down')).toHaveCount(0);

  await message.getByRole('button', { name: 'Resend', exact: true }).click();
  await a.getByRole('dialog').getByRole('button', { name: 'Resend', exact: true }).click();
  await expect(message).toHaveAttribute('data-status', REACHED);
  // Same id, same place (right after the first message), still once.
  await expect(message).toHaveAttribute('data-msg-id', id!);
  await expectShownOnce(outgoing(a, 'Sent while the server is down'), [a, b]);
  const order = await a
    .locator('[data-testid="message"]')
    .evaluateAll((els) => els.map((el) => el.textContent ?? ''));
  expect(order.findIndex((t) => t.includes('Sent while'))).toBe(
    order.findIndex((t) => t.includes('Before the crash')) + 1,
  );
  await expect(a.getByTestId('failed-notice')).toHaveCount(0);

  const received = incoming(b, 'Sent while the server is down');
  await expectShownOnce(received, [b, a]);
  await expect(received).toHaveAttribute('data-msg-id', id!);
  await screenshot(a, 'e2e-3-delivered-after-resend');
  await screenshot(b, 'e2e-3-received');
  await a.context().close();
  await b.context().close();
});
