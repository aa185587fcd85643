import type { Server } from 'socket.io';

/** The parts of engine.io's WebSocket transport this touches (not in its public types). */
interface WebSocketTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: { cork(): void; uncork(): void } };
}

/** An engine.io connection, as far as this needs it. */
interface EngineSocket {
  transport: WebSocketTransport;
  on(event: 'upgrade', listener: (transport: WebSocketTransport) => void): void;
}

const patched = new WeakSet<WebSocketTransport>();

/**
 * One system call for what engine.io sends a connection at once. While a
 * WebSocket write is on its way, engine.io gathers the packets for that
 * connection and then sends them together, but `ws` still writes each frame
 * on its own (`writev` per packet: the largest single cost in the server's
 * profile under load). Corking the TCP socket around that batch writes the
 * frames in one go; nothing is delayed (uncorked before `send` returns).
 */
function coalesce(transport: WebSocketTransport): void {
  if (transport.name !== 'websocket' || patched.has(transport)) return;
  const tcp = transport.socket?._socket;
  if (!tcp) return;
  patched.add(transport);
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    if (packets.length < 2) return send(packets);
    tcp.cork();
    try {
      send(packets);
    } finally {
      tcp.uncork();
    }
  };
}

/** Coalesces the writes of every WebSocket connection of `io` (see {@link coalesce}). */
export function coalesceWrites(io: Server): void {
  io.engine.on('connection', (socket: EngineSocket) => {
    coalesce(socket.transport);
    socket.on('upgrade', (transport) => coalesce(transport));
  });
}
