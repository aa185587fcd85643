/** The parts of an engine.io transport this reads (not in its public types). */
interface EngineTransport {
  /** False while a write to the client is on its way. */
  writable: boolean;
  /** The WebSocket (`ws`) of a websocket transport: bytes it holds that the network has not taken. */
  socket?: { bufferedAmount?: number; pause?(): void; resume?(): void };
  on(event: 'ready', listener: () => void): void;
}

/** The parts of an engine.io connection this reads (not in its public types). */
export interface EngineConn {
  /** Packets queued while the transport is busy. */
  writeBuffer: unknown[];
  transport: EngineTransport;
  on(event: 'upgrade', listener: (transport: EngineTransport) => void): void;
  on(event: 'packetCreate', listener: (packet: { data?: unknown }) => void): void;
  on(event: 'flush', listener: () => void): void;
}

/** The size of a packet's data in bytes (about: a string counts its UTF-16 units). */
function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/**
 * What a connection's client has not taken yet, and when everything queued
 * for it has left the server's buffers. A client that stops reading makes
 * its connection's output pile up in memory (engine.io's write buffer, then
 * the WebSocket's): {@link unsent} counts it, and {@link whenFlushed} lets a
 * request count as in flight until its answer is really gone.
 */
export class Outflow {
  /** Bytes in engine.io's write buffer (counted as packets are queued; 0 once flushed). */
  private queued = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly conn: EngineConn,
    /** Called with the unsent bytes whenever a packet is queued for the client. */
    private readonly onQueued: (unsent: number) => void = () => undefined,
  ) {
    conn.on('packetCreate', (packet) => {
      this.queued += sizeOf(packet.data);
      this.onQueued(this.unsent());
    });
    conn.on('flush', () => {
      this.queued = 0;
    });
    const watch = (transport: EngineTransport) => transport.on('ready', () => this.check());
    watch(conn.transport);
    conn.on('upgrade', watch);
  }

  /** Bytes queued for the client that it has not taken yet. */
  unsent(): number {
    return this.queued + (this.conn.transport.socket?.bufferedAmount ?? 0);
  }

  /** True when nothing queued so far waits in the server: all of it was handed to the network. */
  flushed(): boolean {
    return (
      this.conn.writeBuffer.length === 0 &&
      this.conn.transport.writable &&
      (this.conn.transport.socket?.bufferedAmount ?? 0) === 0
    );
  }

  /**
   * Stops (`false`) or restarts (`true`) reading what the client sends: its
   * requests wait in the network instead of costing the server anything.
   * Only a WebSocket can be paused (a long-polling client is bounded by its
   * requests in flight alone).
   */
  reading(on: boolean): void {
    const ws = this.conn.transport.socket;
    if (on) ws?.resume?.();
    else ws?.pause?.();
  }

  /** Calls `done` once everything queued so far has left the server (at once when it has). */
  whenFlushed(done: () => void): void {
    if (this.flushed()) done();
    else this.waiting.push(done);
  }

  private check(): void {
    if (this.waiting.length === 0 || !this.flushed()) return;
    const done = this.waiting;
    this.waiting = [];
    for (const fn of done) fn();
  }
}
