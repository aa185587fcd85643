import { defineStore } from 'pinia';
import { ref } from 'vue';
import { fetchPrefs, updatePrefs } from '../../../client/api';
import { useSessionStore } from './session';

/** The person's preferences kept on the server (the same on every device). */
export const usePrefsStore = defineStore('prefs', () => {
  const session = useSessionStore();
  /** Send read receipts (and see others'). On until the server says otherwise. */
  const readReceipts = ref(true);
  const error = ref<string | null>(null);

  /** Loads the preferences from the server. */
  async function load(): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    try {
      readReceipts.value = (await fetchPrefs(c.url, c.token)).readReceipts;
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  /** Turns read receipts on or off (on the server: every device follows). */
  async function setReadReceipts(on: boolean): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    const before = readReceipts.value;
    readReceipts.value = on;
    try {
      readReceipts.value = (await updatePrefs(c.url, c.token, { readReceipts: on })).readReceipts;
      error.value = null;
    } catch (e) {
      readReceipts.value = before;
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  return { readReceipts, error, load, setReadReceipts };
});
