/**
 * LAN discovery: the server advertises `_tickline._tcp` with mDNS/DNS-SD
 * (bonjour-service), and {@link browseServers} lists the servers found, for
 * the desktop app's Connect screen. Node only (no Electron imports).
 */
import { hostname } from 'node:os';
import { Bonjour, type Service, type ServiceConfig } from 'bonjour-service';
import { z } from 'zod';

/** The DNS-SD service type (`_tickline._tcp`). */
export const SERVICE_TYPE = 'tickline';

/** A server found on the LAN. */
export interface DiscoveredServer {
  /** Its name (`--name`, by default its host name). */
  name: string;
  /** The address it answered from. */
  host: string;
  port: number;
  /** `https://host:port` (or `http://` when it runs without TLS). */
  url: string;
  /** The protocol version it speaks. */
  protocol: number;
  /** SHA-256 fingerprint of its certificate (`AB:CD:…`), when it speaks TLS. */
  fingerprint?: string;
  tls: boolean;
}

const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

/** The TXT record of an advertisement, as it arrives from the network (strings). */
export const discoveryTxtSchema = z.object({
  name: z.string().min(1).max(63),
  proto: z.string().regex(/^\d{1,4}$/),
  tls: z.enum(['0', '1']),
  fp: z.string().regex(FINGERPRINT).optional(),
});

/** What a server advertises. */
export interface Advertisement {
  /** Instance name (at most 63 bytes); default: the host name. */
  name?: string;
  port: number;
  protocol: number;
  /** Certificate fingerprint; absent without TLS. */
  fingerprint?: string;
  /**
   * The address of the one interface to advertise on (the bound address), or
   * undefined for all.
   */
  interface?: string;
  /** Told about mDNS socket errors (the server goes on without discovery). */
  onError?: (error: unknown) => void;
}

/**
 * Options of the mDNS socket: bonjour-service hands them to multicast-dns,
 * whose `interface` (an address) picks the interface (its types omit it).
 */
function mdnsOptions(address: string | undefined): Partial<ServiceConfig> {
  return (address ? { interface: address } : {}) as Partial<ServiceConfig>;
}

/** The default server name: this machine's host name without its domain. */
export function defaultServerName(): string {
  return hostname().split('.')[0] || 'tickline';
}

/** A running advertisement: the name it went out under, and how to end it. */
export interface Advertised {
  name: string;
  /** Sends the goodbye packets and closes the socket. */
  stop(): Promise<void>;
}

/** Something that starts advertising a server ({@link advertise}, or a test's stand-in). */
export type Advertise = (ad: Advertisement) => Advertised;

/** Starts advertising; `stop()` sends the goodbye packets and closes the socket. */
export function advertise(ad: Advertisement): Advertised {
  const name = (ad.name ?? defaultServerName()).slice(0, 63);
  const txt: Record<string, string> = {
    name,
    proto: String(ad.protocol),
    tls: ad.fingerprint ? '1' : '0',
  };
  if (ad.fingerprint) txt.fp = ad.fingerprint;
  const bonjour = new Bonjour(mdnsOptions(ad.interface), (error: unknown) => ad.onError?.(error));
  bonjour.publish({ name, type: SERVICE_TYPE, port: ad.port, txt });
  let stopped: Promise<void> | undefined;
  return {
    name,
    // The goodbye is sent on the socket; if that socket already failed, its
    // callback may never come: give up waiting after a second.
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          bonjour.destroy(() => resolve());
        };
        const timer = setTimeout(done, 1_000);
        bonjour.unpublishAll(done);
      })),
  };
}

/** The server a DNS-SD answer describes, or undefined when its TXT record is not Tickline's. */
export function toDiscovered(service: Service): DiscoveredServer | undefined {
  const parsed = discoveryTxtSchema.safeParse(service.txt ?? {});
  if (!parsed.success) return undefined;
  const txt = parsed.data;
  const tls = txt.tls === '1';
  if (tls && !txt.fp) return undefined;
  const addresses = service.addresses ?? [];
  const from = service.referer?.address;
  // The address the answer came from reaches it; else its first IPv4 address.
  const host =
    from && (addresses.length === 0 || addresses.includes(from))
      ? from
      : (addresses.find((a) => !a.includes(':')) ?? addresses[0] ?? from);
  if (!host || !(service.port > 0 && service.port < 65536)) return undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    name: txt.name,
    host,
    port: service.port,
    url: `${tls ? 'https' : 'http'}://${urlHost}:${service.port}`,
    protocol: Number(txt.proto),
    ...(tls ? { fingerprint: txt.fp } : {}),
    tls,
  };
}

/** Options of {@link browseServers}. */
export interface BrowseOptions {
  /** The address of the interface to browse on; default: all. */
  interface?: string;
  /** Told about mDNS socket errors. */
  onError?: (error: unknown) => void;
}

/**
 * Browses the LAN for Tickline servers; `onChange` gets the whole list (sorted
 * by name) each time a server appears, changes or says goodbye.
 */
export function browseServers(
  onChange: (servers: DiscoveredServer[]) => void,
  options: BrowseOptions = {},
): { stop(): void } {
  const bonjour = new Bonjour(mdnsOptions(options.interface), (error: unknown) =>
    options.onError?.(error),
  );
  const found = new Map<string, DiscoveredServer>();
  const emit = () =>
    onChange([...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port));
  const key = (service: Service) => service.fqdn || service.name;
  const put = (service: Service) => {
    const server = toDiscovered(service);
    if (server) found.set(key(service), server);
    else if (!found.delete(key(service))) return;
    emit();
  };
  const browser = bonjour.find({ type: SERVICE_TYPE });
  browser.on('up', put);
  browser.on('txt-update', put);
  browser.on('srv-update', put);
  browser.on('down', (service) => {
    if (found.delete(key(service))) emit();
  });
  return {
    stop: () => {
      browser.stop();
      bonjour.destroy();
    },
  };
}
