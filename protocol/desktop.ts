/**
 * What crosses the desktop app's IPC bridge (`window.tickline`): the types the
 * preload exposes and the renderer uses, and the zod schemas the main process
 * checks every call's arguments with. The preload and the renderer import
 * this file; `type Api = typeof api` in the preload must satisfy {@link DesktopBridge}.
 */
import { z } from 'zod';

/** Longest server address accepted from the renderer. */
export const MAX_ADDRESS_LENGTH = 2048;

/** Ports a person may host on (0, "any free port", would change on every start). */
export const portSchema = z.number().int().min(1).max(65535);

/** A certificate's SHA-256 fingerprint as `AB:CD:…` (32 bytes, upper-case hex). */
export const fingerprintSchema = z.string().regex(/^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/);

/** Who may create an account on the server this app hosts (`closed` is for the CLI). */
export const hostRegistrationSchema = z.enum(['invite', 'open']);
/** One of {@link hostRegistrationSchema}. */
export type HostRegistration = z.infer<typeof hostRegistrationSchema>;

/** The interface the host binds: `auto` (the private address in use) or one IPv4 address. */
export const hostAddressSchema = z.union([z.literal('auto'), z.ipv4()]);

/** The person's choices when hosting (the port is a separate argument). */
export const hostOptionsSchema = z.object({
  registration: hostRegistrationSchema.optional(),
  address: hostAddressSchema.optional(),
});
/** What {@link DesktopBridge.hostServer} takes besides the port. */
export type HostOptions = z.infer<typeof hostOptionsSchema>;

/** Argument tuples of each IPC channel, validated in the main process. */
export const DESKTOP_ARGS = {
  getServerChoice: z.tuple([]),
  hostServer: z.tuple([portSchema, hostOptionsSchema]),
  listInterfaces: z.tuple([]),
  probeServer: z.tuple([z.string().max(MAX_ADDRESS_LENGTH), fingerprintSchema.nullable()]),
  /** The address, the fingerprint the person compared (null: plain http), replace a changed pin. */
  connectServer: z.tuple([
    z.string().max(MAX_ADDRESS_LENGTH),
    fingerprintSchema.nullable(),
    z.boolean(),
  ]),
  resetServerChoice: z.tuple([]),
  browseServers: z.tuple([z.boolean()]),
  openExternal: z.tuple([z.string().max(8192)]),
  openNewWindow: z.tuple([]),
  setUnreadCount: z.tuple([z.number().int().min(0).max(1_000_000)]),
} as const;

/** Why a bridge call failed. */
export type BridgeErrorCode =
  | 'port_in_use'
  | 'unreachable'
  | 'invalid'
  | 'internal'
  /** The server's certificate is not the one pinned for it. */
  | 'fingerprint_changed'
  /** The certificate differs from the one the server advertised on the LAN, or from the one shown. */
  | 'fingerprint_mismatch';

/** Result of a bridge call that can fail with a message for the user. */
export type BridgeResult<T> =
  { ok: true; value: T } | { ok: false; code: BridgeErrorCode; error: string };

/** A running embedded server, as the host sees it. */
export interface HostInfo {
  /** URL this app connects to. */
  url: string;
  port: number;
  /** `https://<lan-ip>:<port>` addresses colleagues should enter (or open in a browser). */
  lanAddresses: string[];
  /** The interface the server is bound to (an IPv4 address). */
  address: string;
  /** The person's interface choice (`auto` follows the private address in use). */
  addressChoice: string;
  /** IPv4 addresses of this computer the person can choose from. */
  interfaces: string[];
  /** Who may create an account. */
  registration: HostRegistration;
  /** The server certificate's fingerprint and its short form, when it speaks TLS. */
  fingerprint?: string;
  shortFingerprint?: string;
  /** True while hosting is paused from the tray. */
  paused?: boolean;
  /**
   * The setup code the server made at its start, when it had no account then:
   * the first account (the owner's, the admin) needs it; void once it exists.
   */
  setupCode?: string;
}

/** The remembered server choice of the desktop app. */
export type ServerChoice =
  | ({ mode: 'host' } & HostInfo)
  | { mode: 'connect'; url: string; fingerprint?: string; shortFingerprint?: string };

/** What the app found at an address before the person accepts it. */
export interface ServerProbe {
  /** The normalized origin (`https://host:port` or `http://host:port`). */
  url: string;
  /** False for a plain-http server: the link is not encrypted. */
  tls: boolean;
  fingerprint?: string;
  shortFingerprint?: string;
  /** `new`: never seen; `same`: matches the pin; `changed`: differs from the pin; `none`: no TLS. */
  pin: 'new' | 'same' | 'changed' | 'none';
  /** The pinned fingerprint when `pin` is `changed`. */
  pinned?: string;
  pinnedShort?: string;
}

/** A server found on the LAN (mDNS `_tickline._tcp`). */
export interface FoundServer {
  name: string;
  /** `host:port`, to fill the address field with. */
  address: string;
  url: string;
  tls: boolean;
  /** The fingerprint the server advertises: a hint only, checked against the real handshake. */
  fingerprint?: string;
  shortFingerprint?: string;
}

/**
 * What happened to the server this app hosts: it died and a restart is due in
 * `seconds`, it runs again, the app stopped trying, or the person paused or
 * resumed hosting from the tray.
 */
export type HostEvent =
  | { type: 'restarting'; seconds: number }
  | { type: 'restarted'; port: number }
  | { type: 'gave-up'; error: string }
  | { type: 'paused' }
  | { type: 'resumed'; port: number };

/**
 * What the desktop shell's preload exposes as `window.tickline`. The web
 * client runs without it (and always uses the server that served it).
 */
export interface DesktopBridge {
  /** The saved server choice (the embedded server already started), or null on first start. */
  getServerChoice(): Promise<ServerChoice | null>;
  /** Starts the embedded server on `port` and remembers the choice. */
  hostServer(port: number, options?: HostOptions): Promise<BridgeResult<HostInfo>>;
  /** IPv4 addresses of this computer the host may bind (best first). */
  listInterfaces(): Promise<string[]>;
  /** Looks at `address`: its certificate fingerprint and how it compares with the pin. */
  probeServer(address: string, advertised?: string | null): Promise<BridgeResult<ServerProbe>>;
  /**
   * Checks `/healthz` over exactly the certificate `fingerprint` (the one the
   * person compared; null for plain http), pins it and remembers the server.
   * A pin that differs is replaced only with `replacePin` (the explicit step).
   */
  connectServer(
    address: string,
    fingerprint?: string | null,
    replacePin?: boolean,
  ): Promise<BridgeResult<{ url: string }>>;
  /** Forgets the choice and stops an embedded server. */
  resetServerChoice(): Promise<void>;
  /** Opens an http(s) link in the system browser. */
  openExternal(url: string): Promise<void>;
  /** Opens another window with its own persistent session. */
  openNewWindow(): Promise<void>;
  /** Reports this window's unread count (tray / dock badge). */
  setUnreadCount(count: number): void;
  /** Calls `listener` on each {@link HostEvent}; returns the function that stops it. */
  onHostEvent(listener: (event: HostEvent) => void): () => void;
  /** Lists servers found on the LAN while subscribed; returns the function that stops browsing. */
  onFoundServers(listener: (servers: FoundServer[]) => void): () => void;
}
