import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { BridgeResult, HostInfo, ServerChoice } from '../desktop/bridge';
import { desktopBridge } from '../desktop/desktop';

/**
 * Which server the app talks to. The web client always uses the server that
 * served it; the desktop app asks once (host or connect) and remembers.
 */
export const useServerStore = defineStore('server', () => {
  const bridge = desktopBridge();
  /** True in the desktop app. */
  const desktop = bridge !== undefined;
  /** The desktop app's saved choice (null until chosen). */
  const choice = ref<ServerChoice | null>(null);
  /** False until the choice has been loaded. */
  const ready = ref(!desktop);

  /** Base URL of the server, or null while the desktop app has no choice yet. */
  const url = computed<string | null>(() => {
    if (!desktop) return location.origin;
    return choice.value?.url.replace(/\/+$/, '') ?? null;
  });

  /** Loads the desktop app's saved choice. */
  async function init(): Promise<void> {
    if (!bridge) return;
    try {
      choice.value = await bridge.getServerChoice();
    } finally {
      ready.value = true;
    }
  }

  /** Starts the embedded server on `port` (desktop only). */
  async function host(port: number): Promise<BridgeResult<HostInfo>> {
    if (!bridge) return { ok: false, code: 'internal', error: 'not the desktop app' };
    const result = await bridge.hostServer(port);
    if (result.ok) choice.value = { mode: 'host', ...result.value };
    return result;
  }

  /** Checks and remembers a server address (desktop only). */
  async function connect(address: string): Promise<BridgeResult<{ url: string }>> {
    if (!bridge) return { ok: false, code: 'internal', error: 'not the desktop app' };
    const result = await bridge.connectServer(address);
    if (result.ok) choice.value = { mode: 'connect', url: result.value.url };
    return result;
  }

  /** Forgets the choice (and stops an embedded server): back to the setup screen. */
  async function reset(): Promise<void> {
    if (!bridge) return;
    await bridge.resetServerChoice();
    choice.value = null;
  }

  return { desktop, choice, ready, url, init, host, connect, reset };
});
