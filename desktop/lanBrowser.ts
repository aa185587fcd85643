/**
 * Servers found on the LAN (`browseServers`, mDNS `_tickline._tcp`) in the
 * shape the Connect screen lists, browsing only while someone is looking.
 * The advertised fingerprint is a hint: the pin comes from the real handshake.
 * No Electron here.
 */
import type { FoundServer } from '../protocol/desktop';
import { browseServers, type DiscoveredServer } from '../server/discovery';
import { shortFingerprint } from './fingerprint';

/** One discovered server as the renderer sees it. */
export function toFoundServer(server: DiscoveredServer): FoundServer {
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return {
    name: server.name,
    address: `${host}:${server.port}`,
    url: server.url,
    tls: server.tls,
    ...(server.fingerprint
      ? { fingerprint: server.fingerprint, shortFingerprint: shortFingerprint(server.fingerprint) }
      : {}),
  };
}

/** Starts browsing with the first watcher and stops with the last; tells `onChange` each list. */
export class LanBrowser {
  private readonly watchers = new Set<number>();
  private browsing: { stop(): void } | undefined;
  private latest: FoundServer[] = [];

  constructor(
    private readonly onChange: (servers: FoundServer[]) => void,
    private readonly browse: typeof browseServers = browseServers,
  ) {}

  /** Watcher `id` (a window) starts (`true`) or stops (`false`) looking; returns the current list. */
  watch(id: number, on: boolean): FoundServer[] {
    if (on) this.watchers.add(id);
    else this.watchers.delete(id);
    if (this.watchers.size > 0 && !this.browsing) {
      this.browsing = this.browse(
        (servers) => {
          this.latest = servers.map(toFoundServer);
          this.onChange(this.latest);
        },
        { onError: (error) => console.warn('Tickline: LAN discovery:', error) },
      );
    } else if (this.watchers.size === 0 && this.browsing) {
      this.browsing.stop();
      this.browsing = undefined;
      this.latest = [];
    }
    return this.latest;
  }

  /** Stops browsing (quit). */
  stop(): void {
    this.watchers.clear();
    this.browsing?.stop();
    this.browsing = undefined;
  }
}
