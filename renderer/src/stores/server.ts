import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  BridgeResult,
  HostInfo,
  HostOptions,
  ServerChoice,
  ServerProbe,
} from '../../../protocol/desktop';
import { desktopBridge } from '../desktop/desktop';

/**
 * Which server the app talks to. The web client always uses the server that
 * served it; the desktop app asks once (host or connect, with the server's
 * certificate fingerprint compared and pinned) and remembers.
 */
export const useServerStore = defineStore('server', () => {
  const bridge = desktopBridge();
  /** True in the desktop app. */
  const desktop = bridge !== undefined;
  /** The desktop app's saved choice (null until chosen). */
  const choice = ref<ServerChoice | null>(null);
  /** False until the choice has been loaded. */
  const ready = ref(!desktop);
  /** Whether the bridge can show a server's fingerprint before connecting (stand-ins may not). */
  const canProbe = typeof bridge?.probeServer === 'function';

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
  async function host(port: number, options: HostOptions = {}): Promise<BridgeResult<HostInfo>> {
    if (!bridge) return { ok: false, code: 'internal', error: 'not the desktop app' };
    const result = await bridge.hostServer(port, options);
    if (result.ok) choice.value = { mode: 'host', ...result.value };
    return result;
  }

  /** The computer's addresses the host may bind (desktop only). */
  async function interfaces(): Promise<string[]> {
    return typeof bridge?.listInterfaces === 'function' ? bridge.listInterfaces() : [];
  }

  /** Looks at a server's certificate before trusting it (desktop only). */
  async function probe(
    address: string,
    advertised: string | null = null,
  ): Promise<BridgeResult<ServerProbe>> {
    if (!bridge || !canProbe) return { ok: false, code: 'internal', error: 'not available' };
    return bridge.probeServer(address, advertised);
  }

  /**
   * Connects to `address` over the certificate `fingerprint` the person
   * compared (pinned from then on), and remembers it (desktop only).
   */
  async function connect(
    address: string,
    fingerprint: string | null = null,
    replacePin = false,
  ): Promise<BridgeResult<{ url: string }>> {
    if (!bridge) return { ok: false, code: 'internal', error: 'not the desktop app' };
    const result = canProbe
      ? await bridge.connectServer(address, fingerprint, replacePin)
      : await bridge.connectServer(address);
    if (result.ok) {
      choice.value = {
        mode: 'connect',
        url: result.value.url,
        ...(fingerprint ? { fingerprint } : {}),
      };
    }
    return result;
  }

  /** Forgets the choice (and stops an embedded server): back to the setup screen. */
  async function reset(): Promise<void> {
    if (!bridge) return;
    await bridge.resetServerChoice();
    choice.value = null;
  }

  return {
    desktop,
    choice,
    ready,
    url,
    canProbe,
    init,
    host,
    interfaces,
    probe,
    connect,
    reset,
  };
});
