/**
 * Scenario 11: three people and a group. The creator's message is read by
 * both others (counts 2/2/2, the Read tick); incoming group messages show
 * their sender; Group info and Message info; a direct read receipt; typing
 * in the group.
 */
import { expect, test, type Page } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  contact,
  contacts,
  incoming,
  openConversation,
  outgoing,
  screenshot,
  send,
  signUp,
  uniqueName,
  expectShownOnce,
} from './support/ui';

const server = useScenarioServer();

/** A group's entry in the Contacts list. */
function groupEntry(page: Page, name: string) {
  return contacts(page).locator('[data-kind="group"]', { hasText: name });
}

test('a group message read by both others; a direct read receipt; typing', async ({ browser }) => {
  const [nameA, nameB, nameC] = [uniqueName('alice'), uniqueName('bob'), uniqueName('carol')];
  const alice = await signUp(browser, server.url, nameA);
  const bob = await signUp(browser, server.url, nameB);
  const carol = await signUp(browser, server.url, nameC);
  await expect(contact(alice, nameC)).toBeVisible();

  // Alice creates the group.
  await alice.getByRole('button', { name: 'New group' }).click();
  const dialog = alice.getByRole('dialog', { name: 'New group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill('Project Atlas');
  await dialog.getByRole('checkbox', { name: new RegExp(nameB) }).check();
  await dialog.getByRole('checkbox', { name: new RegExp(nameC) }).check();
  await screenshot(alice, 'e2e-11-new-group');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  await expect(alice.getByRole('textbox', { name: 'Message' })).toBeVisible();
  for (const page of [alice, bob, carol]) {
    await expect(groupEntry(page, 'Project Atlas')).toHaveAttribute('data-kind', 'group');
  }
  for (const page of [bob, carol]) {
    await expect(contacts(page).getByRole('listitem', { name: /Project Atlas/ })).toBeVisible();
  }

  // Alice writes; both others get it, each opens the group: read by both.
  const message = await send(alice, 'Kick-off is at ten');
  await expect(message).toHaveAttribute('data-recipients', '2');
  await expect(message).toHaveAttribute('data-delivered', '2');
  await expect(groupEntry(bob, 'Project Atlas')).toHaveAttribute('data-unread', '1');
  await groupEntry(bob, 'Project Atlas').click();
  const atBob = incoming(bob, 'Kick-off is at ten');
  await expectShownOnce(atBob, [bob, alice]);
  await expect(atBob.getByTestId('sender')).toHaveText(nameA);
  await expect(message).toHaveAttribute('data-read', '1');
  await expect(message).toHaveAttribute('data-status', 'delivered');
  await groupEntry(carol, 'Project Atlas').click();
  await expectShownOnce(incoming(carol, 'Kick-off is at ten'), [carol, alice]);
  await expect(message).toHaveAttribute('data-read', '2');
  await expect(message).toHaveAttribute('data-status', 'read');
  await expect(message.getByRole('img', { name: 'Read', exact: true })).toBeVisible();
  await screenshot(alice, 'e2e-11-group-read');

  // Message info: both recipients, delivered and read.
  await message.getByRole('button', { name: 'Message info' }).click();
  const info = alice.getByRole('dialog', { name: 'Message info' });
  await expect(info.getByTestId('recipient')).toHaveCount(2);
  await expect(info).toContainText(nameB);
  await expect(info).toContainText(nameC);
  await expect(info.getByText(/^Read /)).toHaveCount(2);
  await screenshot(alice, 'e2e-11-message-info');
  await info.getByRole('button', { name: 'Close' }).click();
  await expect(info).toBeHidden();

  // Group info: the members, and what an admin may do.
  await alice.getByRole('button', { name: 'Group info' }).click();
  const group = alice.getByRole('dialog', { name: 'Group info' });
  await expect(group.getByTestId('group-member')).toHaveCount(3);
  await expect(group.getByRole('button', { name: 'Add members' })).toBeVisible();
  await expect(group.getByRole('button', { name: `Remove ${nameB}` })).toBeVisible();
  await expect(group.getByRole('button', { name: 'Leave group' })).toBeVisible();
  await screenshot(alice, 'e2e-11-group-info');
  await alice.keyboard.press('Escape');
  await expect(group).toBeHidden();

  // Typing in the group shows to the others.
  await bob.getByRole('textbox', { name: 'Message' }).fill('On my way');
  await expect(alice.getByTestId('typing')).toContainText(nameB);
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expectShownOnce(incoming(alice, 'On my way'), [alice, bob]);
  await expect(alice.getByTestId('typing')).toHaveCount(0);

  // A direct read receipt.
  await openConversation(alice, nameB);
  const direct = await send(alice, 'Lunch after?');
  await expect(direct).toHaveAttribute('data-status', 'delivered');
  await openConversation(bob, nameA);
  await expectShownOnce(incoming(bob, 'Lunch after?'), [bob, alice]);
  await expect(outgoing(alice, 'Lunch after?')).toHaveAttribute('data-status', 'read');
  await expect(direct.getByRole('img', { name: 'Read', exact: true })).toBeVisible();
  for (const page of [alice, bob, carol]) await page.context().close();
});
