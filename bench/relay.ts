/**
 * The baseline: a bare Socket.IO relay that forwards a message to its
 * recipient and the recipient's acknowledgement back to the sender. No
 * storage, no acknowledgement callbacks, no retries, no validation.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { serveClient: false });
io.on('connection', (socket) => {
  const me = String((socket.handshake.auth as { userId?: unknown }).userId);
  void socket.join(me);
  socket.on('msg', (m: { id: string; to: string; body: string }) => {
    io.to(m.to).emit('msg', { id: m.id, from: me, body: m.body });
  });
  socket.on('ack', (a: { id: string; to: string }) => {
    io.to(a.to).emit('ack', { id: a.id, from: me });
  });
});
http.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
