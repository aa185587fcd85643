import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import {
  ackRSchema,
  fail,
  offlineRSchema,
  offlineackRSchema,
  OFFLINE_DEFAULT_LIMIT,
  parseMsgR,
  parseWith,
  userRoom,
  type Answer,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '../protocol';
import type { Accounts } from './accounts';
import type { GroupCommit } from './groupCommit';
import type { Presence } from './presence';
import { hashToken } from './sessions';
import type { AckedMessage, Store } from './store';

/** Per-connection state. */
export interface SocketData {
  userId: string;
  /** Hash of the session token, so that signing out can close this connection. */
  tokenHash: Buffer;
  /** `offline:R` pages continue after this store sequence until `more` is false. */
  offlineCursor: number;
}

/** The typed Socket.IO server. */
export type ImIo = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
type ImSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/** The room of connections that receive `presence:N`. */
export const PRESENCE_ROOM = 'presence';

/** Dependencies of the realtime handlers. */
export interface RealtimeDeps {
  accounts: Accounts;
  store: Store;
  commit: GroupCommit;
  presence: Presence;
  log: Logger;
}

type Reply = (answer: Answer<object>) => void;

/**
 * Wraps a handler so that whatever arrives (no payload, no callback, extra
 * arguments, a throwing handler) the client gets one answer and the server
 * stays up.
 */
function handler(
  log: Logger,
  event: string,
  fn: (payload: unknown, reply: Reply) => Promise<void>,
) {
  return (...args: unknown[]) => {
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? (last as (a: unknown) => void) : undefined;
    let answered = false;
    const reply: Reply = (answer) => {
      if (answered) return;
      answered = true;
      callback?.(answer);
    };
    const payload = callback && args.length === 1 ? undefined : args[0];
    fn(payload, reply).catch((error: unknown) => {
      log.error({ err: error, event }, 'handler failed');
      reply(fail('internal', 'internal error'));
    });
  };
}

/** Installs authentication and the packet handlers on `io`. */
export function attachRealtime(io: ImIo, deps: RealtimeDeps): void {
  const { accounts, store, commit, presence, log } = deps;

  const notifyAcked = (acked: AckedMessage) => {
    io.to(userRoom(acked.sender)).emit('ack:N', {
      id: acked.id,
      to: acked.recipient,
      offline: false,
      ts: acked.ts,
    });
  };

  io.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const user = accounts.resolve(auth?.token);
    if (!user) {
      next(new Error('unauthorized'));
      return;
    }
    socket.data.userId = user.userId;
    socket.data.tokenHash = hashToken(auth?.token as string);
    socket.data.offlineCursor = 0;
    next();
  });

  io.on('connection', (socket: ImSocket) => {
    const me = socket.data.userId;
    const auth = socket.handshake.auth as Record<string, unknown>;
    void socket.join(userRoom(me));
    if (auth.presence !== false) void socket.join(PRESENCE_ROOM);
    presence.connected(me);
    socket.on('disconnect', () => presence.disconnected(me));

    socket.on(
      'msg:R',
      handler(log, 'msg:R', async (payload, reply) => {
        const parsed = parseMsgR(payload);
        if (!parsed.ok) return reply(parsed);
        const msg = parsed.value;
        if (!accounts.exists(msg.to)) return reply(fail('unknown_recipient', 'no such user'));
        const result = await commit.run(() => store.storeMessage(me, msg, Date.now()));
        if (result.kind === 'conflict') {
          return reply(fail('id_conflict', 'this id names a different message'));
        }
        // msg:A only now: the transaction holding the message has committed.
        reply({ ok: true, id: msg.id, ts: result.ts });
        if (result.kind === 'duplicate' && result.acked) {
          notifyAcked({ sender: me, id: msg.id, recipient: msg.to, ts: result.ts });
        } else if (presence.isOnline(msg.to)) {
          io.to(userRoom(msg.to)).emit('msg:N', { ...msg, from: me, ts: result.ts });
        } else {
          io.to(userRoom(me)).emit('ack:N', {
            id: msg.id,
            to: msg.to,
            offline: true,
            ts: result.ts,
          });
        }
      }),
    );

    socket.on(
      'ack:R',
      handler(log, 'ack:R', async (payload, reply) => {
        const parsed = parseWith(ackRSchema, payload);
        if (!parsed.ok) return reply(parsed);
        const { from, id } = parsed.value;
        const ts = store.messageTs(me, from, id);
        if (ts === undefined) return reply(fail('not_found', 'no such message for you'));
        // The recipient persisted the message before sending ack:R, so ack:A
        // and ack:N need not wait for this write to reach the disk: if it is
        // lost in a crash, the message is offered again and deduplicated.
        commit
          .run(() => store.markAcked(me, from, id, Date.now()))
          .catch((error: unknown) => log.error({ err: error }, 'ack write failed'));
        reply({ ok: true });
        notifyAcked({ sender: from, id, recipient: me, ts });
      }),
    );

    socket.on(
      'offline:R',
      handler(log, 'offline:R', async (payload, reply) => {
        const parsed = parseWith(offlineRSchema, payload === undefined ? {} : payload);
        if (!parsed.ok) return reply(parsed);
        const limit = parsed.value.limit ?? OFFLINE_DEFAULT_LIMIT;
        // Read through the commit queue so earlier acks of this socket apply first.
        const page = await commit.run(() => store.inboxPage(me, socket.data.offlineCursor, limit));
        socket.data.offlineCursor = page.more ? page.lastSeq : 0;
        reply({ ok: true, messages: page.messages, more: page.more });
      }),
    );

    socket.on(
      'offlineack:R',
      handler(log, 'offlineack:R', async (payload, reply) => {
        const parsed = parseWith(offlineackRSchema, payload);
        if (!parsed.ok) return reply(parsed);
        const now = Date.now();
        const acked = await commit.run(() =>
          parsed.value.ids.flatMap(({ from, id }) => store.ackMessage(me, from, id, now) ?? []),
        );
        reply({ ok: true });
        for (const a of acked) notifyAcked(a);
      }),
    );
  });
}
