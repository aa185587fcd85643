/**
 * The bridge's server-choice operations (host / probe / connect / forget,
 * pause and resume hosting) on top of the settings file, the pins, the
 * embedded server and the pinned health check. No Electron here: the main
 * process only validates IPC and calls these.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type {
  BridgeResult,
  HostEvent,
  HostInfo,
  HostOptions,
  ServerChoice,
  ServerProbe,
} from '../protocol/desktop';
import { addressCandidates, normalizeServerAddress } from './address';
import type { EmbeddedServer, Started } from './embeddedServer';
import { shortFingerprint } from './fingerprint';
import { checkHealth, type Health } from './health';
import { bindAddress, interfaceChoices, LOOPBACK } from './lan';
import type { PinStore } from './pins';
import { readSettings, writeSettings, type SavedChoice, type Settings } from './settings';

type HostChoice = Extract<SavedChoice, { mode: 'host' }>;

/** What {@link ServerChoiceController} works with. */
export interface ServerChoiceDeps {
  settingsFile: string;
  pins: PinStore;
  embedded: Pick<EmbeddedServer, 'start' | 'stop' | 'port' | 'host' | 'fingerprint' | 'setupCode'>;
  networkInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  checkHealth?: typeof checkHealth;
}

/** Host, connect (trust on first use), forget, pause: what the bridge's calls do. */
export class ServerChoiceController {
  private settings: Promise<Settings>;
  /** Host mode from the saved settings, started once at launch. */
  private restored: Promise<HostInfo | null> | undefined;
  private paused = false;

  constructor(private readonly deps: ServerChoiceDeps) {
    this.settings = readSettings(deps.settingsFile);
  }

  /** Starts the saved embedded server (called at launch, so colleagues can connect early). */
  restore(): Promise<HostInfo | null> {
    this.restored ??= (async () => {
      await this.deps.pins.load();
      const saved = (await this.settings).server;
      if (saved?.mode !== 'host') return null;
      const started = await this.startHost(saved);
      return started.ok ? started.value : null;
    })();
    return this.restored;
  }

  /**
   * The saved choice, with the embedded server running; `null` on first start
   * or when the saved port can no longer be used (the renderer then asks again).
   */
  async getServerChoice(): Promise<ServerChoice | null> {
    await this.restore();
    const saved = (await this.settings).server;
    if (!saved) return null;
    if (saved.mode === 'connect') return connectChoice(saved.url, saved.fingerprint);
    if (this.paused || this.deps.embedded.port !== undefined) {
      return { mode: 'host', ...this.hostInfo(saved) };
    }
    const started = await this.startHost(saved);
    return started.ok ? { mode: 'host', ...started.value } : null;
  }

  /** IPv4 addresses the host may bind, best first. */
  listInterfaces(): string[] {
    return interfaceChoices(this.deps.networkInterfaces());
  }

  /** Starts the embedded server and remembers the choice (and pins its certificate). */
  async hostServer(port: number, options: HostOptions = {}): Promise<BridgeResult<HostInfo>> {
    await this.restore();
    const address = options.address ?? 'auto';
    if (address !== 'auto' && !this.listInterfaces().includes(address) && address !== LOOPBACK) {
      return {
        ok: false,
        code: 'invalid',
        error: `${address} is not an address of this computer.`,
      };
    }
    const choice: HostChoice = {
      mode: 'host',
      port,
      registration: options.registration ?? 'invite',
      address,
    };
    this.paused = false;
    const started = await this.startHost(choice);
    if (started.ok) await this.save(choice);
    return started;
  }

  /** Looks at a server before the person trusts it: its fingerprint and the pin's verdict. */
  async probeServer(
    address: string,
    advertised: string | null = null,
  ): Promise<BridgeResult<ServerProbe>> {
    const candidates = addressCandidates(address);
    if (!candidates.ok) return { ok: false, code: 'invalid', error: candidates.error };
    await this.restore();
    if (candidates.urls.some((url) => this.isEmbedded(url))) return ownServer();
    let failure: Health | undefined;
    for (const url of candidates.urls) {
      const health = await this.health(url);
      if (health.ok) return this.describe(url, health.value.fingerprint, advertised);
      failure ??= health;
      // Only a server that answered without TLS is tried over http, and never
      // one whose https certificate is pinned (that would be a downgrade).
      if (!health.handshakeFailed || this.deps.pins.get(url) !== undefined) break;
    }
    return strip(failure);
  }

  /**
   * Connects to the server at `address` (an origin from {@link probeServer})
   * whose certificate is `fingerprint`: checks `/healthz` over exactly that
   * certificate, pins it, and remembers the server. A pin that differs is
   * replaced only with `replacePin`.
   */
  async connectServer(
    address: string,
    fingerprint: string | null = null,
    replacePin = false,
  ): Promise<BridgeResult<{ url: string }>> {
    const normalized = normalizeServerAddress(address);
    if (!normalized.ok) return { ok: false, code: 'invalid', error: normalized.error };
    const { url } = normalized;
    await this.restore();
    if (this.isEmbedded(url)) return ownServer();
    let pin: string | undefined;
    if (url.startsWith('https:')) {
      const pinned = this.deps.pins.get(url);
      pin = fingerprint ?? pinned;
      if (pin === undefined) {
        return { ok: false, code: 'invalid', error: 'Compare the server’s fingerprint first.' };
      }
      if (pinned !== undefined && pinned !== pin && !replacePin) {
        return {
          ok: false,
          code: 'fingerprint_changed',
          error: `The certificate of ${url} changed since you trusted it.`,
        };
      }
    } else if (fingerprint !== null) {
      return { ok: false, code: 'invalid', error: `${url} does not use TLS.` };
    }
    const health = await this.health(url, pin);
    if (!health.ok) return strip(health);
    if (pin !== undefined) await this.deps.pins.set(url, pin);
    await this.save({ mode: 'connect', url, ...(pin ? { fingerprint: pin } : {}) });
    this.paused = false;
    await this.deps.embedded.stop();
    return { ok: true, value: { url } };
  }

  /** Forgets the choice and stops the embedded server (pins are kept). */
  async resetServerChoice(): Promise<void> {
    await this.restore();
    await this.save(null);
    this.paused = false;
    await this.deps.embedded.stop();
  }

  /** Stops hosting until {@link resumeHosting} (tray); the choice is kept. */
  async pauseHosting(): Promise<HostEvent | null> {
    const saved = (await this.settings).server;
    if (saved?.mode !== 'host' || this.paused) return null;
    this.paused = true;
    await this.deps.embedded.stop();
    return { type: 'paused' };
  }

  /** Starts the paused server again. */
  async resumeHosting(): Promise<HostEvent | null> {
    const saved = (await this.settings).server;
    if (saved?.mode !== 'host' || !this.paused) return null;
    this.paused = false;
    const started = await this.startHost(saved);
    return started.ok
      ? { type: 'resumed', port: started.value.port }
      : { type: 'gave-up', error: started.error };
  }

  /** Whether this app hosts, and whether hosting is paused (the tray's items). */
  async hostingState(): Promise<'off' | 'on' | 'paused'> {
    if ((await this.settings).server?.mode !== 'host') return 'off';
    return this.paused ? 'paused' : 'on';
  }

  /** Stops the embedded server (quit). */
  async shutdown(): Promise<void> {
    await this.deps.embedded.stop();
  }

  private async startHost(choice: HostChoice): Promise<BridgeResult<HostInfo>> {
    const host = bindAddress(choice.address ?? 'auto', this.deps.networkInterfaces());
    const started = await this.deps.embedded.start({
      host,
      port: choice.port,
      registration: choice.registration ?? 'invite',
    });
    if (!started.ok) return started;
    // The host's own server is trusted without asking.
    if (started.value.fingerprint) {
      await this.deps.pins.set(origin(host, started.value), started.value.fingerprint);
    }
    return { ok: true, value: this.hostInfo(choice) };
  }

  private hostInfo(choice: HostChoice): HostInfo {
    const { embedded } = this.deps;
    const address =
      embedded.host ?? bindAddress(choice.address ?? 'auto', this.deps.networkInterfaces());
    const port = embedded.port ?? choice.port;
    const fingerprint = embedded.fingerprint ?? this.deps.pins.get(`https://${address}:${port}`);
    const url = origin(address, { port, fingerprint });
    return {
      url,
      port,
      lanAddresses: address === LOOPBACK ? [] : [url],
      address,
      addressChoice: choice.address ?? 'auto',
      interfaces: this.listInterfaces(),
      registration: choice.registration ?? 'invite',
      ...(fingerprint ? { fingerprint, shortFingerprint: shortFingerprint(fingerprint) } : {}),
      // Only to this app's own window: the person who started the server owns it.
      ...(embedded.setupCode && !this.paused ? { setupCode: embedded.setupCode } : {}),
      ...(this.paused ? { paused: true } : {}),
    };
  }

  private health(url: string, pin?: string): Promise<Health> {
    return (this.deps.checkHealth ?? checkHealth)(url, pin === undefined ? {} : { pin });
  }

  private describe(
    url: string,
    fingerprint: string | undefined,
    advertised: string | null,
  ): BridgeResult<ServerProbe> {
    if (!fingerprint) return { ok: true, value: { url, tls: false, pin: 'none' } };
    if (advertised !== null && advertised !== fingerprint) {
      return {
        ok: false,
        code: 'fingerprint_mismatch',
        error: `${url} announced the fingerprint ${advertised} on the network but presented ${fingerprint}.`,
      };
    }
    const state = this.deps.pins.check(url, fingerprint);
    const pinned = this.deps.pins.get(url);
    return {
      ok: true,
      value: {
        url,
        tls: true,
        fingerprint,
        shortFingerprint: shortFingerprint(fingerprint),
        pin: state,
        ...(state === 'changed' && pinned ? { pinned, pinnedShort: shortFingerprint(pinned) } : {}),
      },
    };
  }

  private isEmbedded(url: string): boolean {
    const port = this.deps.embedded.port;
    if (port === undefined) return false;
    const parsed = new URL(url);
    if (Number(parsed.port) !== port) return false;
    const own = new Set(['localhost', LOOPBACK, '[::1]', '0.0.0.0', ...this.listInterfaces()]);
    return own.has(parsed.hostname);
  }

  private async save(server: Settings['server']): Promise<void> {
    const next: Settings = { version: 1, server };
    this.settings = Promise.resolve(next);
    await writeSettings(this.deps.settingsFile, next);
  }
}

function origin(host: string, started: Started): string {
  return `${started.fingerprint ? 'https' : 'http'}://${host}:${started.port}`;
}

function connectChoice(url: string, fingerprint: string | undefined): ServerChoice {
  return {
    mode: 'connect',
    url,
    ...(fingerprint ? { fingerprint, shortFingerprint: shortFingerprint(fingerprint) } : {}),
  };
}

function ownServer(): BridgeResult<never> {
  return {
    ok: false,
    code: 'invalid',
    error: 'This is the server this app hosts. Choose "Host on this computer" instead.',
  };
}

function strip(health: Health | undefined): BridgeResult<never> {
  if (!health || health.ok) return { ok: false, code: 'internal', error: 'no answer' };
  return { ok: false, code: health.code, error: health.error };
}
