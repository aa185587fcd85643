/**
 * Scenario 13: conversations and failures. Each conversation keeps its own
 * draft (switching and reloading); while the server is away no contact is
 * shown online; messages that fail are counted per conversation
 * (`data-failed`), and `Resend all` resends only the open conversation's;
 * once connected again, a prompt names the conversations whose messages
 * failed while away; closing a dialog gives focus back to its opener.
 */
import { expect, test } from '@playwright/test';
import { audit } from './support/axe';
import { useScenarioServer } from './support/server';
import {
  connection,
  contact,
  messageBox,
  openConversation,
  outgoing,
  REACHED,
  send,
  signUp,
  uniqueName,
} from './support/ui';

// Retry budget: 400 + 800 + 1600 ms without msg:A, then `failed`.
const server = useScenarioServer({ ackTimeoutMs: 400, maxAttempts: 3 });

test('drafts per conversation, presence while offline, failures per conversation', async ({
  browser,
}) => {
  const nameA = uniqueName('alice');
  const nameB = uniqueName('bob');
  const nameC = uniqueName('carol');
  const b = await signUp(browser, server.url, nameB);
  const c = await signUp(browser, server.url, nameC);
  const a = await signUp(browser, server.url, nameA);

  // Drafts: each conversation its own; switching away and back restores it.
  await openConversation(a, nameB);
  await messageBox(a).fill('Half a thought for Bob');
  await openConversation(a, nameC);
  await expect(messageBox(a)).toHaveValue('');
  await messageBox(a).fill('Note for Carol');
  await openConversation(a, nameB);
  await expect(messageBox(a)).toHaveValue('Half a thought for Bob');
  // ... and after a reload.
  await a.reload();
  await expect(connection(a)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await openConversation(a, nameC);
  await expect(messageBox(a)).toHaveValue('Note for Carol');
  await openConversation(a, nameB);
  await expect(messageBox(a)).toHaveValue('Half a thought for Bob');

  // Presence: online while connected; unknown (never "online") while the server is away.
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');
  await expect(contact(a, nameC)).toHaveAttribute('data-online', 'true');
  await expect(contact(a, nameB)).toHaveAttribute('data-failed', '0');
  await server.kill();
  await expect(connection(a)).not.toHaveAttribute('data-state', 'connected');
  await expect(contact(a, nameB)).not.toHaveAttribute('data-online', 'true');
  await expect(contact(a, nameC)).not.toHaveAttribute('data-online', 'true');
  // The banner says what happens to messages sent now (budget 2.8 s here).
  await expect(a.getByTestId('reconnect-banner')).toContainText('retried for about 3 seconds');

  // Failures: two to Bob, one to Carol. Sending clears only that draft.
  const toB1 = await send(a, 'Lost to Bob one');
  const toB2 = await send(a, 'Lost to Bob two');
  await expect(messageBox(a)).toHaveValue('');
  await openConversation(a, nameC);
  await expect(messageBox(a)).toHaveValue('Note for Carol');
  const toC = await send(a, 'Lost to Carol');
  await expect(toC).toHaveAttribute('data-status', 'failed');
  await expect(contact(a, nameC)).toHaveAttribute('data-failed', '1');
  await expect(contact(a, nameB)).toHaveAttribute('data-failed', '2');
  await expect(contact(a, nameB).getByTestId('failed-mark')).toBeVisible();
  await expect(a.getByTestId('failed-notice')).toContainText('1 message not delivered');
  await openConversation(a, nameB);
  await expect(toB1).toHaveAttribute('data-status', 'failed');
  await expect(toB2).toHaveAttribute('data-status', 'failed');
  await expect(a.getByTestId('failed-notice')).toContainText('2 messages not delivered');

  // Escape closes the Resend dialog and gives focus back to the Resend button.
  const resendB1 = toB1.getByRole('button', { name: 'Resend', exact: true });
  await resendB1.click();
  await expect(a.getByRole('dialog')).toBeVisible();
  await a.keyboard.press('Escape');
  await expect(a.getByRole('dialog')).toBeHidden();
  await expect(resendB1).toBeFocused();

  // The server is back: presence again; the start page (after a reload) offers no Resend all.
  await server.start();
  await expect(connection(a)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(contact(a, nameB)).toHaveAttribute('data-online', 'true');
  // Back online, a prompt names what failed while away and is not in sight: Carol's
  // (Bob's two were seen in his open conversation).
  const away = a.getByTestId('away-failures');
  await expect(away).toContainText('While you were offline, 1 message could not be delivered');
  await expect(away.getByRole('button', { name: `Open ${nameC} (1)` })).toBeVisible();
  await expect(away.getByRole('button', { name: `Open ${nameB} (2)` })).toHaveCount(0);
  await audit(a, 'failed while away');
  await away.getByRole('button', { name: `Open ${nameC} (1)` }).click();
  await expect(a.getByTestId('failed-notice')).toContainText('1 message not delivered');
  await expect(away).toHaveCount(0);
  await a.reload();
  await expect(connection(a)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(contact(a, nameB)).toHaveAttribute('data-failed', '2');
  await expect(contact(a, nameC)).toHaveAttribute('data-failed', '1');
  await expect(a.getByTestId('failed-notice')).toHaveCount(0);

  // Resend all in Carol's conversation resends Carol's message only.
  await openConversation(a, nameC);
  await a.getByTestId('failed-notice').getByRole('button', { name: 'Resend all' }).click();
  await expect(outgoing(a, 'Lost to Carol')).toHaveAttribute('data-status', REACHED);
  await expect(contact(a, nameC)).toHaveAttribute('data-failed', '0');
  await expect(a.getByTestId('failed-notice')).toHaveCount(0);
  await expect(contact(a, nameB)).toHaveAttribute('data-failed', '2');
  await openConversation(a, nameB);
  await expect(outgoing(a, 'Lost to Bob one')).toHaveAttribute('data-status', 'failed');
  await expect(outgoing(a, 'Lost to Bob two')).toHaveAttribute('data-status', 'failed');
  await expect(a.getByTestId('failed-notice')).toContainText('2 messages not delivered');

  for (const page of [a, b, c]) await page.context().close();
});
