/**
 * The bridge's server-choice operations (host / connect / forget), on top of
 * the settings file, the embedded server and the health check. No Electron
 * here: `index.ts` only validates IPC and calls these.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { BridgeResult, HostInfo, ServerChoice } from '../../renderer/src/desktop/bridge';
import { normalizeServerAddress } from './address';
import type { EmbeddedServer } from './embeddedServer';
import { checkHealth } from './health';
import { lanAddresses } from './lan';
import { readSettings, writeSettings, type Settings } from './settings';

export interface ServerChoiceDeps {
  settingsFile: string;
  embedded: Pick<EmbeddedServer, 'start' | 'stop' | 'port'>;
  networkInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  checkHealth?: typeof checkHealth;
}

export class ServerChoiceController {
  private settings: Promise<Settings>;
  /** Host mode from the saved settings, started once at launch. */
  private restored: Promise<HostInfo | null> | undefined;

  constructor(private readonly deps: ServerChoiceDeps) {
    this.settings = readSettings(deps.settingsFile);
  }

  /** Starts the saved embedded server (called at launch, so colleagues can connect early). */
  restore(): Promise<HostInfo | null> {
    this.restored ??= (async () => {
      const saved = (await this.settings).server;
      if (saved?.mode !== 'host') return null;
      const started = await this.deps.embedded.start(saved.port);
      return started.ok ? this.hostInfo(started.value.port) : null;
    })();
    return this.restored;
  }

  /**
   * The saved choice, with the embedded server running; `null` on first start
   * or when the saved port can no longer be used (the renderer then asks again).
   */
  async getServerChoice(): Promise<ServerChoice | null> {
    const saved = (await this.settings).server;
    if (!saved) return null;
    if (saved.mode === 'connect') return { mode: 'connect', url: saved.url };
    await this.restore();
    const running = this.deps.embedded.port;
    if (running === undefined) {
      const started = await this.deps.embedded.start(saved.port);
      if (!started.ok) return null;
      return { mode: 'host', ...this.hostInfo(started.value.port) };
    }
    return { mode: 'host', ...this.hostInfo(running) };
  }

  async hostServer(port: number): Promise<BridgeResult<HostInfo>> {
    await this.restore();
    const started = await this.deps.embedded.start(port);
    if (!started.ok) return started;
    await this.save({ mode: 'host', port: started.value.port });
    return { ok: true, value: this.hostInfo(started.value.port) };
  }

  async connectServer(address: string): Promise<BridgeResult<{ url: string }>> {
    const normalized = normalizeServerAddress(address);
    if (!normalized.ok) return { ok: false, code: 'invalid', error: normalized.error };
    await this.restore();
    const running = this.deps.embedded.port;
    if (running !== undefined && this.pointsAtEmbedded(normalized.url, running)) {
      return {
        ok: false,
        code: 'invalid',
        error: 'This is the server this app hosts. Choose "Host on this computer" instead.',
      };
    }
    const health = await (this.deps.checkHealth ?? checkHealth)(normalized.url);
    if (!health.ok) return health;
    await this.save({ mode: 'connect', url: normalized.url });
    await this.deps.embedded.stop();
    return { ok: true, value: { url: normalized.url } };
  }

  async resetServerChoice(): Promise<void> {
    await this.restore();
    await this.save(null);
    await this.deps.embedded.stop();
  }

  /** Stops the embedded server (quit). */
  async shutdown(): Promise<void> {
    await this.deps.embedded.stop();
  }

  private hostInfo(port: number): HostInfo {
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      lanAddresses: lanAddresses(this.deps.networkInterfaces(), port),
    };
  }

  private pointsAtEmbedded(url: string, port: number): boolean {
    const parsed = new URL(url);
    if (Number(parsed.port) !== port || parsed.protocol !== 'http:') return false;
    const own = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);
    for (const lan of lanAddresses(this.deps.networkInterfaces(), port))
      own.add(new URL(lan).hostname);
    return own.has(parsed.hostname);
  }

  private async save(server: Settings['server']): Promise<void> {
    const next: Settings = { version: 1, server };
    this.settings = Promise.resolve(next);
    await writeSettings(this.deps.settingsFile, next);
  }
}
