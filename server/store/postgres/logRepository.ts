import type pg from 'pg';
import {
  directConversationId,
  isGroupId,
  type ConversationId,
  type MsgR,
  type ReplyQuote,
} from '../../../protocol';
import { periodCovers, sawInGroup } from '../../periods';
import {
  cutPage,
  hashBody,
  quoteOf,
  storedBefore,
  type QuotedRow,
  type Confirmation,
  type FoundConfirmation,
  type LogRow,
  type StoredMessage,
  type StoreResult,
  type StreamPage,
  type StreamScope,
} from '../../store';
import type { LogRepository } from '../repositories';
import { PgGroupCommit } from './groupCommit';
import { sqlState } from './pool';
import { lockStreamHead, takePositions } from './streamPositions';

/** A log row's columns under the names `LogRow` has (quoted: PostgreSQL folds the rest to lower case). */
const LOG_COLUMNS = `m.gseq, m.conv, m.seq, m.sender, m.id, m.recipient, m.body, m.ts,
  m.delivered_at AS "deliveredAt", m.kind, m.recipients, m.reply_seq AS "replySeq",
  m.reply_sender AS "replyFrom", m.reply_id AS "replyId", m.reply_excerpt AS "replyExcerpt"`;

/** SQLSTATE unique_violation: a concurrent transaction stored the same `(sender, id)` first. */
const UNIQUE_VIOLATION = '23505';

/**
 * The gseqs of what device `$2` of person `$3` has not confirmed of its
 * stream after `$1`, at most `$4` per part: the same three parts, on the
 * same indexes, as the SQLite store's (`Store`'s `unconfirmedGseqs`).
 */
function unconfirmedGseqs(mirror: boolean): string {
  const open = `m.body IS NOT NULL AND m.gseq > $1
    AND NOT EXISTS (SELECT 1 FROM device_acks a WHERE a.device_id = $2 AND a.gseq = m.gseq)`;
  const notWrittenHere = `NOT (m.sender_device IS NOT DISTINCT FROM $2 AND m.recipient <> $3 AND m.kind = 'text')`;
  const parts = [
    `SELECT m.gseq FROM messages m WHERE m.recipient = $3 AND ${open} ORDER BY m.gseq LIMIT $4`,
  ];
  if (mirror) {
    parts.push(
      `SELECT m.gseq FROM messages m WHERE m.sender = $3 AND ${notWrittenHere} AND ${open}
       ORDER BY m.gseq LIMIT $4`,
      `SELECT m.gseq FROM periods p JOIN messages m ON m.recipient = p.conv
         AND ${periodCovers('p', 'm.seq')}
       WHERE p.user_id = $3 AND ${notWrittenHere} AND ${open} ORDER BY m.gseq LIMIT $4`,
    );
  }
  return parts.map((part, i) => `SELECT gseq FROM (${part}) AS part${i}`).join(' UNION ');
}

const STREAM = {
  direct: `SELECT ${LOG_COLUMNS} FROM messages m WHERE m.gseq IN (${unconfirmedGseqs(false)})
           ORDER BY m.gseq LIMIT $4`,
  mirror: `SELECT ${LOG_COLUMNS} FROM messages m WHERE m.gseq IN (${unconfirmedGseqs(true)})
           ORDER BY m.gseq LIMIT $4`,
};

/**
 * The first unconfirmed position and the visible head in ONE statement: one
 * snapshot, so a message committed between two reads cannot make `compact`
 * move the cursor over it.
 */
const FIRST_UNCONFIRMED = {
  direct: `SELECT (SELECT min(gseq) FROM (${unconfirmedGseqs(false)}) AS u) AS first,
                  (SELECT position FROM stream_head) AS head`,
  mirror: `SELECT (SELECT min(gseq) FROM (${unconfirmedGseqs(true)}) AS u) AS first,
                  (SELECT position FROM stream_head) AS head`,
};

const UNDELIVERED_PART = `SELECT ${LOG_COLUMNS} FROM messages m
  WHERE m.recipient = $3 AND m.delivered_at IS NULL AND m.gseq > $1 AND m.gseq <= $5
    AND m.body IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM device_acks a WHERE a.device_id = $2 AND a.gseq = m.gseq)
  ORDER BY m.gseq LIMIT $4`;

/** The conversation logs in PostgreSQL: {@link LogRepository} with several writers. */
export class PostgresLogRepository implements LogRepository {
  constructor(
    private readonly pool: pg.Pool,
    /** Every write goes through it: one transaction per batch. */
    private readonly commit = new PgGroupCommit(pool),
  ) {}

  async storeMessage(
    sender: string,
    senderDevice: string,
    msg: MsgR,
    now: number,
  ): Promise<StoreResult> {
    const store = (client: pg.PoolClient) => storeMessageIn(client, sender, senderDevice, msg, now);
    try {
      return await this.commit.run(store);
    } catch (error) {
      // Another node stored this (sender, id) between our look-up and insert:
      // the second attempt finds it and answers as for a retransmission.
      if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
      return this.commit.run(store);
    }
  }

  async streamPage(
    scope: StreamScope,
    after: number,
    limit: number,
    maxBytes: number,
  ): Promise<StreamPage> {
    const device = await deviceCursor(this.pool, scope.deviceId);
    if (!device) return { rows: [], lastGseq: after, more: false };
    const want = limit + 1;
    const rows: LogRow[] = [];
    if (after < device.createdGseq) {
      const { rows: part } = await this.pool.query<LogRow>(UNDELIVERED_PART, [
        after,
        scope.deviceId,
        scope.userId,
        want,
        device.createdGseq,
      ]);
      rows.push(...part);
    }
    if (rows.length < want) {
      const { rows: part } = await this.pool.query<LogRow>(
        scope.mirror ? STREAM.mirror : STREAM.direct,
        [Math.max(after, device.cursor), scope.deviceId, scope.userId, want - rows.length],
      );
      rows.push(...part);
    }
    const more = cutPage(rows, limit, maxBytes);
    return { rows, lastGseq: rows.length > 0 ? rows[rows.length - 1]!.gseq : after, more };
  }

  async confirm(
    scope: StreamScope,
    sender: string,
    id: string,
    now: number,
  ): Promise<(Confirmation & { first: boolean }) | undefined> {
    return this.commit.run(async (client) => {
      const found = await confirmable(client, scope, sender, id);
      return found && { ...found, first: await record(client, scope, found, now) };
    });
  }

  async compact(scope: StreamScope): Promise<number> {
    return this.commit.run(async (client) => {
      const device = await deviceCursor(client, scope.deviceId);
      if (!device) return 0;
      const { rows } = await client.query<{ first: number | null; head: number }>(
        scope.mirror ? FIRST_UNCONFIRMED.mirror : FIRST_UNCONFIRMED.direct,
        [device.cursor, scope.deviceId, scope.userId, 1],
      );
      const { first, head } = rows[0]!;
      const cursor = first == null ? head : first - 1;
      if (cursor <= device.cursor) return device.cursor;
      await client.query('UPDATE devices SET cursor = $1 WHERE id = $2 AND cursor < $1', [
        cursor,
        scope.deviceId,
      ]);
      await client.query('DELETE FROM device_acks WHERE device_id = $1 AND gseq <= $2', [
        scope.deviceId,
        cursor,
      ]);
      return cursor;
    });
  }
}

/** A device's stream positions, or undefined when it is signed out. */
async function deviceCursor(
  client: pg.Pool | pg.PoolClient,
  deviceId: string,
): Promise<{ createdGseq: number; cursor: number } | undefined> {
  const { rows } = await client.query<{ createdGseq: number; cursor: number }>(
    'SELECT created_gseq AS "createdGseq", cursor FROM devices WHERE id = $1',
    [deviceId],
  );
  return rows[0];
}

/**
 * `Store.storeMessage` inside an open transaction. Direct conversations
 * only for now: a group message is refused with an error (groups, their
 * periods and system entries are not on PostgreSQL yet).
 */
export async function storeMessageIn(
  client: pg.PoolClient,
  sender: string,
  senderDevice: string,
  msg: MsgR,
  now: number,
): Promise<StoreResult> {
  const bodyHash = hashBody(msg.body);
  const { rows: found } = await client.query<StoredMessage>(
    `SELECT gseq, conv, seq, recipient, body_hash AS "bodyHash", ts, delivered_at AS "deliveredAt",
            reply_seq AS "replySeq", reply_sender AS "replyFrom", reply_id AS "replyId",
            reply_excerpt AS "replyExcerpt"
     FROM messages WHERE sender = $1 AND id = $2`,
    [sender, msg.id],
  );
  if (found[0]) return storedBefore(found[0], msg, bodyHash);
  if (isGroupId(msg.to)) {
    throw new Error('group conversations are not on the PostgreSQL store yet');
  }
  const conv = directConversationId(sender, msg.to);
  if (msg.after !== undefined) {
    const { rowCount } = await client.query(
      'SELECT 1 FROM messages WHERE sender = $1 AND id = $2 AND conv = $3',
      [sender, msg.after, conv],
    );
    if (!rowCount) return { kind: 'out_of_order' };
  }
  const reply = msg.reply ? await replyTarget(client, conv, msg.reply) : null;
  if (reply === undefined) return { kind: 'bad_reply' };
  // One lock order for every writer: the stream head, then the conversation
  // (whose row lock orders its seqs); both held until COMMIT.
  await lockStreamHead(client);
  const { rows: next } = await client.query<{ last_seq: number }>(
    `INSERT INTO conversations (conv, kind, last_seq, created_at) VALUES ($1, 'direct', 1, $2)
     ON CONFLICT (conv) DO UPDATE SET last_seq = conversations.last_seq + 1 RETURNING last_seq`,
    [conv, now],
  );
  const seq = next[0]!.last_seq;
  if (seq === 1) {
    await client.query(
      `INSERT INTO members (conv, user_id) VALUES ($1, $2), ($1, $3) ON CONFLICT DO NOTHING`,
      [conv, sender, msg.to],
    );
  }
  // The log position (see takePositions), then the row.
  const gseq = await takePositions(client);
  await client.query(
    `INSERT INTO messages (gseq, conv, seq, sender, sender_device, id, recipient, body, body_hash, ts,
                           kind, recipients, reply_seq, reply_sender, reply_id, reply_excerpt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'text', 1, $11, $12, $13, $14)`,
    [
      gseq,
      conv,
      seq,
      sender,
      senderDevice,
      msg.id,
      msg.to,
      msg.body,
      bodyHash,
      now,
      reply?.seq ?? null,
      reply?.from ?? null,
      reply?.id ?? null,
      reply?.excerpt ?? null,
    ],
  );
  return {
    kind: 'stored',
    ts: now,
    conv,
    seq,
    gseq,
    recipients: [msg.to],
    ...(reply ? { reply } : {}),
  };
}

/** The text message `ref` of direct conversation `conv` a reply quotes, or undefined. */
async function replyTarget(
  client: pg.PoolClient,
  conv: ConversationId,
  ref: { from: string; id: string },
): Promise<ReplyQuote | undefined> {
  const { rows } = await client.query<QuotedRow>(
    'SELECT conv, seq, body, kind FROM messages WHERE sender = $1 AND id = $2',
    [ref.from, ref.id],
  );
  // Direct conversations only so far: both people see all of it.
  return quoteOf(conv, ref, rows[0], () => true);
}

/** True when `userId` could see entry `seq` of group `conv`. */
async function sawSeq(
  client: pg.PoolClient,
  conv: string,
  userId: string,
  seq: number,
): Promise<boolean> {
  const { rows } = await client.query<{ saw: boolean }>(
    `SELECT ${sawInGroup('$1', '$2', '$3')} AS saw`,
    [conv, userId, seq],
  );
  return rows[0]!.saw;
}

/** `Store.confirmable`: the confirmation `(sender, id)` by this device, without writing. */
async function confirmable(
  client: pg.PoolClient,
  scope: StreamScope,
  sender: string,
  id: string,
): Promise<FoundConfirmation | undefined> {
  const { rows } = await client.query<Omit<FoundConfirmation, 'id' | 'byRecipient' | 'group'>>(
    `SELECT gseq, conv, seq, sender, recipient, ts, delivered_at AS "deliveredAt", kind FROM messages
     WHERE sender = $1 AND id = $2`,
    [sender, id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const group = isGroupId(row.conv);
  const own = row.sender === scope.userId;
  const saw = group && (await sawSeq(client, row.conv, scope.userId, row.seq));
  const byRecipient = group ? scope.mirror && !own && saw : row.recipient === scope.userId;
  const allowed = byRecipient || (scope.mirror && (own || saw));
  if (!allowed) return undefined;
  return { ...row, id, byRecipient: byRecipient && row.kind === 'text', group };
}

/** `Store.record`: writes a confirmation; true when it was the first by the recipient. */
async function record(
  client: pg.PoolClient,
  scope: StreamScope,
  found: FoundConfirmation,
  now: number,
): Promise<boolean> {
  await client.query(
    'INSERT INTO device_acks (device_id, gseq) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [scope.deviceId, found.gseq],
  );
  if (!found.byRecipient) return false;
  if (found.group) {
    const { rowCount } = await client.query(
      'INSERT INTO deliveries (conv, seq, user_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [found.conv, found.seq, scope.userId, now],
    );
    return rowCount === 1;
  }
  if (found.deliveredAt !== null) return false;
  const { rowCount } = await client.query(
    'UPDATE messages SET delivered_at = $1 WHERE gseq = $2 AND delivered_at IS NULL',
    [now, found.gseq],
  );
  return rowCount === 1;
}
