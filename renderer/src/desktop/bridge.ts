/** Result of a bridge call that can fail with a message for the user. */
export type BridgeResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'port_in_use' | 'unreachable' | 'invalid' | 'internal'; error: string };

/** A running embedded server, as the host sees it. */
export interface HostInfo {
  /** URL this app connects to (loopback). */
  url: string;
  port: number;
  /** `http://<lan-ip>:<port>` addresses colleagues should enter. */
  lanAddresses: string[];
}

/** The remembered server choice of the desktop app. */
export type ServerChoice = ({ mode: 'host' } & HostInfo) | { mode: 'connect'; url: string };

/**
 * What happened to the server this app hosts after it died on its own:
 * a restart is due in `seconds`, it runs again, or the app stopped trying.
 */
export type HostEvent =
  | { type: 'restarting'; seconds: number }
  | { type: 'restarted'; port: number }
  | { type: 'gave-up'; error: string };

/**
 * What the desktop shell's preload exposes as `window.tickline`. The web
 * client runs without it (and always uses the server that served it).
 */
export interface DesktopBridge {
  /** The saved server choice (the embedded server already started), or null on first start. */
  getServerChoice(): Promise<ServerChoice | null>;
  /** Starts the embedded server on `port` and remembers the choice. */
  hostServer(port: number): Promise<BridgeResult<HostInfo>>;
  /** Checks `address` with `/healthz` and remembers it. */
  connectServer(address: string): Promise<BridgeResult<{ url: string }>>;
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
}
