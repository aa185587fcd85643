/**
 * Scenario 21: signing out on a shared computer. Two accounts use one
 * browser profile. Bob signs out keeping his copy of the history; Ann signs
 * out with "Remove this device's copy of the history" (on by default in a
 * browser): her IndexedDB database and drafts are gone from the browser,
 * Bob's database and messages are still there.
 */
import { expect, test, type Page } from '@playwright/test';
import { useScenarioServer } from './support/server';
import {
  authenticate,
  incoming,
  openApp,
  openConversation,
  screenshot,
  send,
  signUp,
  uniqueName,
} from './support/ui';

const server = useScenarioServer();

/** The names of the app's IndexedDB databases in `page`'s browser profile, sorted. */
function databases(page: Page): Promise<string[]> {
  return page.evaluate(async () =>
    (await indexedDB.databases())
      .map((d) => d.name ?? '')
      .filter((name) => name.startsWith('tickline:'))
      .sort(),
  );
}

/** How many messages database `name` holds (read with the raw IndexedDB API). */
function messageCount(page: Page, name: string): Promise<number> {
  return page.evaluate(
    (dbName) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const count = db.transaction('messages').objectStore('messages').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
    name,
  );
}

/** The user id of whoever is signed in on `page` (from the saved session). */
function signedInUserId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('tickline.session:'))!;
    return (JSON.parse(localStorage.getItem(key)!) as { userId: string }).userId;
  });
}

/** Opens the sign-out dialog on `page`; returns it and its "remove" checkbox. */
async function signOutDialog(page: Page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Sign out of Tickline?' });
  const remove = dialog.getByRole('checkbox', {
    name: "Remove this device's copy of the history",
  });
  await expect(remove).toHaveAttribute('data-testid', 'remove-local-history');
  return { dialog, remove };
}

test("signing out with the box checked removes this person's database, and nobody else's", async ({
  browser,
}) => {
  const bobName = uniqueName('bob');
  const annName = uniqueName('ann');
  const carol = await signUp(browser, server.url, uniqueName('carol'));
  const carolName = (await carol.getByTestId('me').textContent())!;

  // The shared computer: Bob first, with a message from Carol.
  const shared = await openApp(browser, server.url);
  await authenticate(shared, bobName, 'Create account');
  const bobId = await signedInUserId(shared);
  await openConversation(carol, bobName);
  await send(carol, 'for bob only');
  await openConversation(shared, carolName);
  await expect(incoming(shared, 'for bob only')).toHaveCount(1);
  await expect.poll(() => databases(shared)).toHaveLength(1);
  const [bobDb] = await databases(shared);
  expect(bobDb).toMatch(new RegExp(`:${bobId}$`));
  await expect.poll(() => messageCount(shared, bobDb!)).toBe(1);

  // Bob keeps his copy (his own choice): he unticks the box.
  const bob = await signOutDialog(shared);
  await expect(bob.remove).toBeChecked();
  await bob.remove.uncheck();
  await bob.dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(shared.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  expect(await databases(shared)).toEqual([bobDb]);

  // Ann, on the same browser, with a message from Carol and a draft.
  await authenticate(shared, annName, 'Create account');
  const annId = await signedInUserId(shared);
  await openConversation(carol, annName);
  await send(carol, 'for ann only');
  await openConversation(shared, carolName);
  await expect(incoming(shared, 'for ann only')).toHaveCount(1);
  await shared.getByRole('textbox', { name: 'Message' }).fill('half a reply');
  const mute = shared.getByTestId('mute');
  await mute.click();
  await expect(mute).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => databases(shared)).toHaveLength(2);
  const annDb = (await databases(shared)).find((name) => name.endsWith(`:${annId}`))!;
  expect(annDb).toBeTruthy();
  await expect.poll(() => messageCount(shared, annDb)).toBe(1);
  const annKeys = () =>
    shared.evaluate((id) => Object.keys(localStorage).filter((k) => k.includes(id)), annId);
  await expect.poll(annKeys).toContainEqual(expect.stringMatching(/^tickline:draft:/));
  await expect.poll(annKeys).toContainEqual(expect.stringMatching(/^tickline:mutes:/));

  // Ann signs out with the box as it comes: checked.
  const ann = await signOutDialog(shared);
  await expect(ann.remove).toBeChecked();
  await screenshot(shared, 'e2e-21-sign-out');
  await ann.dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(shared.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();

  // Nothing of Ann's is left: no database, no localStorage key (draft, mute, session).
  await expect.poll(() => databases(shared)).toEqual([bobDb]);
  expect(await annKeys()).toEqual([]);
  const sessions = await shared.evaluate(() =>
    Object.keys(localStorage).filter((k) => k.startsWith('tickline.session:')),
  );
  expect(sessions).toEqual([]);
  expect(await messageCount(shared, bobDb!)).toBe(1);

  await carol.context().close();
  await shared.context().close();
});
