import { useChatStore } from '../stores/chat';
import { useSessionStore } from '../stores/session';

/**
 * Signs out here and on the server. With `removeLocal`, first deletes this
 * person's copy on this device (history, drafts, mutes; nobody else's), and
 * says on the sign-in view when the history could not be deleted.
 */
export async function signOutHere(removeLocal: boolean): Promise<void> {
  const chat = useChatStore();
  const session = useSessionStore();
  let removed = true;
  if (removeLocal) removed = await chat.stopAndForget();
  else chat.stop();
  await session.signOut();
  if (!removed) session.error = { code: 'wipe_failed', message: '' };
}
