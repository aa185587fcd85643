/**
 * Write coalescing: a batch engine.io sends one WebSocket connection is
 * written with the TCP socket corked (one writev), uncorked before `send`
 * returns, and a single packet or another transport is left alone.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Server } from 'socket.io';
import { coalesceWrites } from '../../server/coalesce';

function fakeIo() {
  const engine = new EventEmitter();
  return { io: { engine } as unknown as Server, engine };
}

function transport(name: string) {
  const log: string[] = [];
  const tcp = { cork: () => log.push('cork'), uncork: () => log.push('uncork') };
  const t = {
    name,
    socket: { _socket: tcp },
    send: (packets: unknown[]) => log.push(`send ${packets.length}`),
  };
  return { t, log };
}

describe('coalesceWrites', () => {
  it('corks around a batch of two or more, uncorks before send returns; one packet goes as it is', () => {
    const { io, engine } = fakeIo();
    coalesceWrites(io);
    const { t, log } = transport('websocket');
    engine.emit('connection', Object.assign(new EventEmitter(), { transport: t }));
    t.send([1, 2, 3]);
    expect(log).toEqual(['cork', 'send 3', 'uncork']);
    log.length = 0;
    t.send([1]);
    expect(log).toEqual(['send 1']);
  });

  it('uncorks even when sending throws', () => {
    const { io, engine } = fakeIo();
    coalesceWrites(io);
    const { t, log } = transport('websocket');
    t.send = () => {
      log.push('boom');
      throw new Error('boom');
    };
    engine.emit('connection', Object.assign(new EventEmitter(), { transport: t }));
    expect(() => t.send([1, 2])).toThrow('boom');
    expect(log).toEqual(['cork', 'boom', 'uncork']);
  });

  it('leaves polling alone, and coalesces the WebSocket a polling connection upgrades to', () => {
    const { io, engine } = fakeIo();
    coalesceWrites(io);
    const polling = transport('polling');
    const socket = Object.assign(new EventEmitter(), { transport: polling.t });
    engine.emit('connection', socket);
    polling.t.send([1, 2]);
    expect(polling.log).toEqual(['send 2']);
    const ws = transport('websocket');
    socket.emit('upgrade', ws.t);
    ws.t.send([1, 2]);
    expect(ws.log).toEqual(['cork', 'send 2', 'uncork']);
  });
});
