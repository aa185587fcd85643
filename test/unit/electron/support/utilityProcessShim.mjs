/**
 * Preloaded (`node --import`) into a Node child started with
 * `child_process.fork`: gives it the `process.parentPort` of an Electron
 * utility process, carried over the fork's IPC channel, so that the
 * utility-process entry (`serverProcess.ts`, or the built
 * `out/main/serverProcess.js`) runs unchanged under plain Node.
 */
import { EventEmitter } from 'node:events';

if (typeof process.send !== 'function') {
  throw new Error('utilityProcessShim: the process was not started with child_process.fork');
}

// Like Electron's parentPort, messages wait until the entry listens for them
// (an ES module entry loads asynchronously, after this preload).
const parentPort = new EventEmitter();
const waiting = [];
parentPort.postMessage = (message) => process.send(message);
process.on('message', (data) => {
  if (parentPort.listenerCount('message') > 0) parentPort.emit('message', { data });
  else waiting.push(data);
});
parentPort.on('newListener', (event) => {
  if (event !== 'message') return;
  setImmediate(() => {
    for (const data of waiting.splice(0)) parentPort.emit('message', { data });
  });
});
process.parentPort = parentPort;
