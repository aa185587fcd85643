/**
 * Entry of the embedded server's Electron utility process. It runs the
 * im-server from `server/` and talks to the main process only through
 * `process.parentPort` (see `serverWorker.ts` for the messages).
 */
import { createServerWorker } from './serverWorker';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  process.stderr.write('serverProcess must run in an Electron utility process\n');
  process.exit(1);
}

const worker = createServerWorker({
  post(message) {
    parentPort.postMessage(message);
    // After `closed` the store is flushed and closed: nothing left to do.
    if (message.type === 'closed') setImmediate(() => process.exit(0));
  },
});

parentPort.on('message', (event) => {
  void worker.handle(event.data);
});
