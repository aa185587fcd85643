import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../protocol';

/** A raw protocol-2 Socket.IO connection for `token` (WebSocket only, no reconnection). */
export function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, {
    auth: { token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}
