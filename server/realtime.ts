import {
  ackRSchema,
  convListRSchema,
  deviceRoom,
  directConversationId,
  directPeer,
  fail,
  historyRSchema,
  HISTORY_DEFAULT_LIMIT,
  infoRSchema,
  isGroupId,
  legacyRoom,
  MAX_PAGE_BYTES,
  MIN_PROTOCOL_VERSION,
  mirrorRoom,
  msgR2Schema,
  offlineRSchema,
  offlineackRSchema,
  OFFLINE_DEFAULT_LIMIT,
  parseMsgR,
  parseWith,
  PROTOCOL_VERSION,
  readRSchema,
  statusRSchema,
  TYPING_SERVER_MIN_INTERVAL_MS,
  typingRSchema,
  userRoom,
  type ConversationId,
} from '../protocol';
import { groupHandlers } from './groupHandlers';
import { handler, type Reply } from './handler';
import { v1MsgN } from './pushes';
import { watchSession } from './sessionWatch';
import { guardPackets, limitConnectionsPerUser } from './socketGuard';
import { Entries, textRow } from './entries';
import type { Confirmation, LogRow } from './store';
import type { ImIo, ImSocket, RealtimeDeps } from './realtimeTypes';
import { COMPACT_EVERY } from './writerOps';

/** The room of connections that receive `presence:N`. */
export const PRESENCE_ROOM = 'presence';

/** Bytes of messages in one page: {@link MAX_PAGE_BYTES} less room for the envelope. */
const PAGE_BUDGET = MAX_PAGE_BYTES - 1024;

/** The protocol version a handshake announces, or undefined when it is not a number. */
function announcedProtocol(auth: Record<string, unknown> | undefined): number | undefined {
  const value = auth?.protocol;
  if (value === undefined) return 1;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Installs authentication and the packet handlers on `io`. */
export function attachRealtime(io: ImIo, deps: RealtimeDeps): void {
  const { accounts, store, receipts, pushes, writer, presence, log, limits, budgets } = deps;
  const entries = new Entries(store, receipts, pushes);
  const minProtocol = deps.minProtocol ?? MIN_PROTOCOL_VERSION;
  /** Catch-up requests of one device, served one at a time. */
  const pulls = new Map<string, Promise<unknown>>();

  const notifyDelivered = (c: Confirmation) => {
    pushes.ackN(c.sender, {
      id: c.id,
      to: c.recipient,
      offline: false,
      ts: c.ts,
      seq: c.seq,
      conv: c.conv,
    });
  };

  /** A confirmation by a recipient: direct senders hear ack:N, group senders a receipt. */
  const confirmed = (c: Confirmation) => {
    if (!c.byRecipient) return;
    if (c.group) receipts.touch(c.sender, c.conv, c.seq);
    else notifyDelivered(c);
  };

  io.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const protocol = announcedProtocol(auth);
    if (protocol === undefined || protocol < minProtocol || protocol > PROTOCOL_VERSION) {
      const error = new Error('protocol_unsupported') as Error & { data?: unknown };
      error.data = { min: minProtocol, max: PROTOCOL_VERSION };
      next(error);
      return;
    }
    const identity = accounts.resolve(auth?.token);
    if (!identity) {
      next(new Error('unauthorized'));
      return;
    }
    socket.data.userId = identity.userId;
    socket.data.deviceId = identity.deviceId;
    socket.data.protocol = protocol;
    socket.data.offlineCursor = 0;
    socket.data.acksSinceCompact = 0;
    socket.data.mirror = protocol >= 2;
    socket.data.scope = {
      userId: identity.userId,
      deviceId: identity.deviceId,
      mirror: protocol >= 2,
    };
    next();
  });
  limitConnectionsPerUser(io, deps.maxConnectionsPerUser);

  /** The handlers every connection shares (Socket.IO calls them with `this` set to it). */
  const handlers: [string, (this: ImSocket, ...args: unknown[]) => void][] = [];
  const on = (
    event: string,
    fn: (socket: ImSocket, payload: unknown, reply: Reply) => Promise<void>,
  ) => handlers.push([event, handler(log, event, fn)]);

  on('msg:R', async (socket, payload, reply) => {
    const { userId: me, deviceId: device, mirror } = socket.data;
    const parsed = parseMsgR(payload, mirror ? msgR2Schema : undefined);
    if (!parsed.ok) return reply(parsed);
    const msg = parsed.value;
    const group = isGroupId(msg.to);
    if (!group && !accounts.exists(msg.to)) {
      return reply(fail('unknown_recipient', 'no such user'));
    }
    // A group message costs its fan-out: one push per other member.
    const fanout = group
      ? Math.max(0, store.currentMembers(msg.to as ConversationId).length - 1)
      : 0;
    const admitted = limits.admit(me, msg.id, msg.to, group, fanout);
    if (!admitted.ok) {
      // wire-v1 knows no inbox_full: it hears the transient rate_limited, same wait.
      const { code, message, retryAfterMs } = admitted.error;
      if (mirror || code !== 'inbox_full') return reply(admitted);
      return reply(fail('rate_limited', message, retryAfterMs));
    }
    // Everything waits for the commit: a device never shows (and a sender
    // never hears of) a message the log might not hold (docs/PROTOCOL.md §4).
    const result = await writer.run('storeMessage', [me, device, msg, Date.now()]);
    limits.settled(me, msg.to, group, admitted, result);
    if (result.kind === 'conflict') {
      return reply(fail('id_conflict', 'this id names a different message'));
    }
    if (result.kind === 'not_member') return reply(fail('not_found', 'no such group'));
    if (result.kind === 'bad_reply') {
      return reply(fail('not_found', 'reply: no such message in this conversation'));
    }
    if (result.kind === 'out_of_order') {
      return reply(fail('out_of_order', 'after: that message is not stored yet; send it first'));
    }
    const { ts, seq, conv } = result;
    socket.data.typingAt?.delete(conv); // typing after this is typing the next message
    reply(mirror ? { ok: true, id: msg.id, ts, seq, conv } : { ok: true, id: msg.id, ts });
    const quote = result.reply;
    /** The message as the log now holds it. */
    const row = textRow({
      conv,
      seq,
      sender: me,
      id: msg.id,
      recipient: msg.to,
      body: msg.body,
      ts,
      recipients: result.kind === 'stored' ? result.recipients.length : 0,
      ...(quote ? { reply: quote } : {}),
    });
    if (group) {
      if (result.kind === 'stored') {
        entries.toMembers(row, result.recipients);
        // The sender's other devices also get where it stands, which only they need.
        entries.toOtherDevices(row, device, mirror);
      }
      // Where it stands comes as a receipt (also for a retransmission).
      receipts.touch(me, conv, seq);
      return;
    }
    if (result.kind === 'stored') {
      const online = presence.isOnline(msg.to);
      if (online) pushes.msgN(msg.to, entries.push(row, msg.to));
      // The person's other devices show it as their own outgoing message.
      if (msg.to !== me) entries.toOtherDevices(row, device, mirror);
      if (!online) pushes.ackN(me, { id: msg.id, to: msg.to, offline: true, ts, seq, conv });
      return;
    }
    // A retransmission of a stored message: tell the sender where it stands.
    if (result.delivered) {
      notifyDelivered({
        sender: me,
        id: msg.id,
        recipient: msg.to,
        ts,
        seq,
        conv,
        byRecipient: true,
        group: false,
      });
    } else if (presence.isOnline(msg.to)) {
      pushes.msgN(msg.to, entries.push(row, msg.to));
    } else {
      pushes.ackN(me, { id: msg.id, to: msg.to, offline: true, ts, seq, conv });
    }
  });

  on('ack:R', async (socket, payload, reply) => {
    const { scope } = socket.data;
    const parsed = parseWith(ackRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const { from, id } = parsed.value;
    const compactNow = ++socket.data.acksSinceCompact >= COMPACT_EVERY;
    if (compactNow) socket.data.acksSinceCompact = 0;
    // Through the writer, after whatever was submitted before. The device persisted
    // the message before sending ack:R, so ack:A and ack:N need not wait
    // for this write to reach the disk: if it is lost in a crash, the
    // message is offered again and deduplicated.
    const confirmation = await writer.run(
      'confirm',
      [scope, from, id, Date.now(), compactNow],
      (c) => {
        if (!c) return reply(fail('not_found', 'no such message for you'));
        if (c.first && c.byRecipient && !c.group) limits.delivered(c.recipient, c.sender);
        reply({ ok: true });
        if (c.byRecipient && !c.group) notifyDelivered(c);
      },
    );
    // Group receipts are counted from what has committed.
    if (confirmation?.byRecipient && confirmation.group) {
      receipts.touch(confirmation.sender, confirmation.conv, confirmation.seq);
    }
  });

  on('offline:R', async (socket, payload, reply) => {
    const { userId: me, deviceId: device, mirror, scope } = socket.data;
    const parsed = parseWith(offlineRSchema, payload === undefined ? {} : payload);
    if (!parsed.ok) return reply(parsed);
    const limit = parsed.value.limit ?? OFFLINE_DEFAULT_LIMIT;
    const previous = pulls.get(device) ?? Promise.resolve();
    const mine = previous.then(async () => {
      // After this device's earlier confirmations have committed (the
      // first page also moves its cursor), read what has committed.
      if (socket.data.offlineCursor === 0) await writer.run('compact', [scope]);
      else await writer.barrier();
      const page = store.streamPage(scope, socket.data.offlineCursor, limit, PAGE_BUDGET);
      socket.data.offlineCursor = page.more ? page.lastGseq : 0;
      const messages = page.rows.map((r) => {
        const push = entries.push(r as LogRow & { body: string }, me);
        return mirror ? push : v1MsgN(push);
      });
      reply({ ok: true, messages, more: page.more });
    });
    const settled = mine.catch(() => undefined);
    pulls.set(device, settled);
    void settled.then(() => {
      if (pulls.get(device) === settled) pulls.delete(device);
    });
    await mine;
  });

  on('offlineack:R', async (socket, payload, reply) => {
    const { scope } = socket.data;
    const parsed = parseWith(offlineackRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const done = await writer.run('confirmMany', [scope, parsed.value.ids, Date.now()]);
    for (const c of done) {
      if (c.first && c.byRecipient && !c.group) limits.delivered(c.recipient, c.sender);
    }
    reply({ ok: true });
    for (const c of done) confirmed(c);
  });

  on('conv:list', async (socket, payload, reply) => {
    const { userId: me } = socket.data;
    const parsed = parseWith(convListRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    reply({ ok: true, conversations: store.conversationsOf(me) });
  });

  on('history:R', async (socket, payload, reply) => {
    const { userId: me } = socket.data;
    const parsed = parseWith(historyRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const { conv, before, limit } = parsed.value;
    if (!store.isMember(conv, me)) return reply(fail('not_found', 'no such conversation'));
    const page = store.history(conv, me, before, limit ?? HISTORY_DEFAULT_LIMIT, PAGE_BUDGET);
    const messages = page.rows.map((r) => entries.of(r, me));
    reply({ ok: true, messages, more: page.more });
  });

  on('read:R', async (socket, payload, reply) => {
    const { userId: me } = socket.data;
    const parsed = parseWith(readRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const { conv, seq } = parsed.value;
    if (!store.isMember(conv, me)) return reply(fail('not_found', 'no such conversation'));
    const paid = budgets.take([{ name: 'read', key: me }]);
    if (!paid.ok) return reply(paid);
    const moved = await writer.run('markRead', [conv, me, seq, Date.now()]);
    if (!moved) return reply(fail('not_found', 'no such conversation'));
    const { previous, shared, ...state } = moved;
    reply({ ok: true, ...state });
    socket.to(mirrorRoom(me)).emit('read:N', state);
    receipts.readMoved(conv, me, previous, state.readSeq, shared);
  });

  on('status:R', async (socket, payload, reply) => {
    const { userId: me } = socket.data;
    const parsed = parseWith(statusRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const states = parsed.value.ids.flatMap((id) => {
      const found = receipts.ofMessage(me, id);
      return found ? [{ id, ...found }] : [];
    });
    reply({ ok: true, states });
  });

  on('info:R', async (socket, payload, reply) => {
    const { userId: me } = socket.data;
    const parsed = parseWith(infoRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const info = receipts.info(me, parsed.value.conv, parsed.value.id);
    if (!info) return reply(fail('not_found', 'no such message of yours'));
    reply({ ok: true, ...info });
  });

  on('typing:R', async (socket, payload, reply) => {
    const { userId: me } = socket.data;
    const parsed = parseWith(typingRSchema, payload);
    if (!parsed.ok) return reply(parsed);
    const conv: ConversationId = parsed.value.conv;
    const group = isGroupId(conv);
    // A direct conversation is the person's with anyone who exists, also
    // before its first message; a group's only while they are a member.
    const peer = group ? undefined : directPeer(conv, me);
    const directOk =
      peer !== undefined && conv === directConversationId(me, peer) && accounts.exists(peer);
    if (group ? !store.isCurrentMember(conv, me) : !directOk) {
      return reply(fail('not_found', 'no such conversation'));
    }
    const now = Date.now();
    const typingAt = (socket.data.typingAt ??= new Map());
    if (now - (typingAt.get(conv) ?? 0) < TYPING_SERVER_MIN_INTERVAL_MS) return reply({ ok: true });
    const others = (group ? store.currentMembers(conv) : [peer ?? me]).filter((u) => u !== me);
    const paid = budgets.take([
      { name: 'typing', key: me },
      { name: 'fanout', key: me, cost: others.length },
    ]);
    if (!paid.ok) return reply(paid);
    reply({ ok: true });
    typingAt.set(conv, now);
    if (others.length > 0) io.to(others.map(mirrorRoom)).emit('typing:N', { conv, from: me });
  });

  on('ping:R', async (_socket, _payload, reply) => {
    reply({ ok: true });
  });

  handlers.push(...groupHandlers(deps, entries));

  io.on('connection', (socket: ImSocket) => {
    const me = socket.data.userId;
    const device = socket.data.deviceId;
    const mirror = socket.data.mirror;
    const scope = socket.data.scope;
    const auth = socket.handshake.auth as Record<string, unknown>;
    guardPackets(
      socket,
      { maxInFlight: deps.maxInFlight, maxUnsentBytes: deps.maxUnsentBytes },
      log,
    );
    watchSession(socket, device, accounts, log, deps.sessionCheckMs);
    void socket.join(userRoom(me));
    void socket.join(deviceRoom(device));
    void socket.join(mirror ? mirrorRoom(me) : legacyRoom(me));
    if (auth.presence !== false) void socket.join(PRESENCE_ROOM);
    presence.connected(me);
    const touch = () =>
      writer
        .run('touchDevice', [device, Date.now()])
        .catch((error: unknown) => log.error({ err: error }, 'device touch failed'));
    void touch();
    socket.on('disconnect', () => {
      presence.disconnected(me);
      void touch();
      if (socket.data.acksSinceCompact > 0) {
        writer
          .run('compact', [scope])
          .catch((error: unknown) => log.error({ err: error }, 'compaction failed'));
      }
    });

    for (const [event, fn] of handlers) socket.on(event as 'msg:R', fn as never);
  });
}
