/**
 * The "shape" baseline: the wire contract's six packets of one message and
 * nothing else. msg:R is answered through its callback (msg:A), msg:N goes
 * to the recipient's room, ack:R is answered through its callback (ack:A) and
 * ack:N goes to the sender's room. No store, no auth (the user id comes from
 * the handshake, as in bench/relay.ts), no validation, no limits. It is what
 * Tickline would cost if storing, checking and bookkeeping were free.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

type Callback = (answer: object) => void;

const http = createServer();
const io = new Server(http, { serveClient: false, maxHttpBufferSize: 128 * 1024 });
/** Live connections per user: a recipient with none gets the stand-in ack:N offline:true. */
const online = new Map<string, number>();

io.on('connection', (socket) => {
  const me = String((socket.handshake.auth as { userId?: unknown }).userId);
  void socket.join(me);
  online.set(me, (online.get(me) ?? 0) + 1);
  socket.on('disconnect', () => {
    const left = (online.get(me) ?? 1) - 1;
    if (left > 0) online.set(me, left);
    else online.delete(me);
  });
  socket.on('msg:R', (m: { id: string; to: string; body: string }, reply: Callback) => {
    const ts = Date.now();
    reply({ ok: true, id: m.id, ts });
    if (online.has(m.to))
      io.to(m.to).emit('msg:N', { id: m.id, from: me, to: m.to, body: m.body, ts });
    else socket.emit('ack:N', { id: m.id, to: m.to, offline: true, ts });
  });
  socket.on('ack:R', (a: { from: string; id: string }, reply: Callback) => {
    reply({ ok: true });
    // Nothing is stored, so the message's ts is not known here: now stands in for it.
    io.to(a.from).emit('ack:N', { id: a.id, to: me, offline: false, ts: Date.now() });
  });
});
http.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
