import { defineStore } from 'pinia';
import { ref } from 'vue';
import { revokeOtherSessions } from '../../../client/accountsApi';
import { fetchDevices, signOutDevice } from '../../../client/api';
import type { Device } from '../../../protocol';
import { useSessionStore } from './session';

/** The signed-in person's devices, for Settings: listed on demand, one can be signed out. */
export const useDevicesStore = defineStore('devices', () => {
  const session = useSessionStore();
  const list = ref<Device[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  /** Loads the list from the server. */
  async function load(): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    loading.value = true;
    try {
      // This device first, then the most recently seen.
      list.value = (await fetchDevices(c.url, c.token)).sort(
        (a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt,
      );
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }

  /** Signs another device out (its session ends at once), then reloads the list. */
  async function signOut(deviceId: string): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    try {
      await signOutDevice(c.url, c.token, deviceId);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
    await load();
  }

  /** Signs out every other device (their sessions end at once), then reloads the list. */
  async function signOutOthers(): Promise<boolean> {
    const c = session.credentials();
    if (!c) return false;
    let ok = false;
    try {
      await revokeOtherSessions(c);
      ok = true;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
    await load();
    return ok;
  }

  return { list, loading, error, load, signOut, signOutOthers };
});
