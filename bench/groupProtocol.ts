/**
 * Shared by the group fan-out benchmark (bench/group.ts) and its workers
 * (bench/groupWorker.ts): the IPC messages between them, the clock both use,
 * and the tap that counts an engine's Socket.IO packets.
 */
import type { Socket } from 'socket.io-client';
import type { ImClient } from '../client/imClient';
import type { ConversationId, Session } from '../protocol';

/** Packets counted per kind (see {@link PacketTap}). */
export type PacketCounts = Record<string, number>;

/** Commands the orchestrator sends to a group worker. */
export type GroupWorkerCommand =
  | { cmd: 'start'; url: string; members: Session[]; conv: ConversationId }
  | { cmd: 'quiet'; online: string }
  | { cmd: 'snapshot' }
  | { cmd: 'collect'; ids: string[]; timeoutMs: number }
  | { cmd: 'exit' };

/** Results a group worker sends back. */
export type GroupWorkerResult =
  | { kind: 'ready'; connected: number }
  | { kind: 'quiet'; ok: boolean }
  | {
      kind: 'snapshot';
      packets: PacketCounts;
      /** When the last packet of each kind was counted (wall clock). */
      lastAt: PacketCounts;
      /** Characters of all packets' payloads, both directions. */
      bytes: number;
      cpuUs: number;
      reconnects: number;
    }
  | {
      kind: 'collected';
      /** Every member had every id asked for before the timeout. */
      complete: boolean;
      /** Per id, the time each member's engine first showed it. */
      received: Map<string, number[]>;
      /** (member, id) pairs asked for that never arrived. */
      missing: number;
      /** `message` events beyond the first, per (member, id). */
      duplicated: number;
      /** Text messages of the group that nobody sent in this run. */
      unexpected: number;
    }
  | { kind: 'error'; message: string };

/** Wall-clock milliseconds, comparable across processes of one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Polls `predicate` until it holds or `timeoutMs` passes; whether it holds. */
export function waitFor(predicate: () => boolean, timeoutMs: number, poll = 10): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = () => {
      if (predicate()) return resolve(true);
      if (Date.now() - started > timeoutMs) return resolve(false);
      setTimeout(check, poll);
    };
    check();
  });
}

/** Names of the answers to requests, as docs/PROTOCOL.md calls them. */
const ANSWER: Record<string, string> = { 'msg:R': 'msg:A', 'ack:R': 'ack:A' };

/**
 * Counts one engine's Socket.IO packets (engine.io `message` packets) in both
 * directions, by kind: `out msg:R`, `in msg:N`, `in msg:A` (the answer to a
 * `msg:R`, matched by its ack id)... Re-attaches to the new engine.io socket
 * after a reconnect. Also knows how many of the engine's requests are still
 * unanswered, so that a caller can wait for the traffic to end.
 */
export class PacketTap {
  /** Packets counted so far, by kind. */
  readonly counts = new Map<string, number>();
  /** When the last packet of each kind was counted (wall clock). */
  readonly lastAt = new Map<string, number>();
  /** Characters of the packets' payloads, both directions. */
  bytes = 0;
  /** Ack id → event name of requests not answered yet. */
  private readonly waiting = new Map<number, string>();

  /** Starts counting `client`'s packets (call right after `start()`). */
  attach(client: ImClient): void {
    // The engine's socket: on its connection supervisor (`link.io`), or, in older engines, `socket`.
    const internals = client as unknown as { socket?: Socket; link?: { io?: Socket } };
    const socket = internals.link?.io ?? internals.socket;
    if (!socket) throw new Error('attach the tap after start()');
    const hooked = new WeakSet<object>();
    const hook = () => {
      const engine = socket.io.engine;
      if (hooked.has(engine)) return;
      hooked.add(engine);
      engine.on('packet', (p) => {
        if (p.type === 'message') this.incoming(p.data);
      });
      engine.on('packetCreate', (p) => {
        if (p.type === 'message') this.outgoing(p.data);
      });
      // Answers to requests in flight never come once the transport is gone.
      engine.on('close', () => this.waiting.clear());
    };
    hook();
    socket.io.on('open', hook);
  }

  /** Requests sent and not answered yet. */
  get unanswered(): number {
    return this.waiting.size;
  }

  private add(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.lastAt.set(kind, wallNow());
  }

  private outgoing(data: unknown): void {
    const p = parse(data);
    if (typeof data === 'string') this.bytes += data.length;
    if (p.type === '2' && p.id !== undefined) this.waiting.set(p.id, p.event ?? '?');
    this.add(
      p.type === '2' ? `out ${p.event ?? '?'}` : p.type === '3' ? 'out answer' : 'out other',
    );
  }

  private incoming(data: unknown): void {
    const p = parse(data);
    if (typeof data === 'string') this.bytes += data.length;
    if (p.type === '3' && p.id !== undefined) {
      const asked = this.waiting.get(p.id) ?? '?';
      this.waiting.delete(p.id);
      this.add(`in ${ANSWER[asked] ?? `${asked} answer`}`);
      return;
    }
    this.add(p.type === '2' ? `in ${p.event ?? '?'}` : 'in other');
  }
}

/**
 * The parts of an encoded socket.io packet (`2["msg:N",…]`, `212["msg:R",…]`,
 * `312[…]`) the tap needs: its type, ack id and event name.
 */
function parse(data: unknown): { type: string; id?: number; event?: string } {
  if (typeof data !== 'string') return { type: 'binary' };
  const m = /^(\d)(?:\d+-)?(?:\/[^,]*,)?(\d*)(?:\["((?:[^"\\]|\\.)*)")?/.exec(data);
  if (!m) return { type: '?' };
  return {
    type: m[1]!,
    ...(m[2] ? { id: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { event: m[3] } : {}),
  };
}
