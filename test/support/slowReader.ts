/**
 * A client that stops reading, as its own process (so that its writes do not
 * load the test's own event loop): connects to `URL` with `TOKEN`, stops
 * reading from its WebSocket, sends `COUNT` `history:R` of `CONV` (each with
 * an acknowledgement, whose answers it never takes), prints `sent`, and
 * waits to be killed.
 *
 * `node --import tsx test/support/slowReader.ts` with URL, TOKEN, CONV, COUNT in the environment.
 */
import { io } from 'socket.io-client';

const { URL: url, TOKEN: token, CONV: conv, COUNT: count } = process.env;
const socket = io(url!, {
  auth: { token, protocol: 2 },
  transports: ['websocket'],
  forceNew: true,
  reconnection: false,
});
socket.once('connect', () => {
  const tcp = (socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws
    ._socket;
  tcp.pause();
  for (let i = 0; i < Number(count); i++)
    socket.emit('history:R', { conv, limit: 200 }, () => undefined);
  process.stdout.write('sent\n');
});
socket.once('connect_error', (error) => {
  process.stdout.write(`refused ${error.message}\n`);
  process.exit(1);
});
