import type { Socket } from 'socket.io-client';
import { register } from '../client/api';
import type { Session } from '../protocol';
import { connect } from './rawSocket';

export { connect };

/** Password of every bench account. */
export const PASSWORD = 'correct horse battery';

/** One message to push: who writes it (a socket) to whom, with which id and text. */
interface Outgoing {
  from: Socket;
  to: string;
  id: string;
  body: string;
}

/** Registers `usernames` over HTTP, a few at a time (password hashing is the slow part). */
export async function registerAll(url: string, usernames: string[]): Promise<Session[]> {
  const sessions: Session[] = new Array(usernames.length);
  let next = 0;
  const worker = async () => {
    while (next < usernames.length) {
      const i = next++;
      sessions[i] = await register(url, { username: usernames[i]!, password: PASSWORD });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return sessions;
}

const WORDS =
  'the a meeting build release notes lunch coffee tomorrow today ticket bug fix deploy server network printer call review plan design draft doc link thanks ok sure later maybe yes no please check again done'.split(
    ' ',
  );

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Message `n`'s text: `#n` then words, of a chat-like length (most short,
 * some a few lines, a few long paragraphs with a line break).
 */
export function bodyOf(n: number): string {
  const next = random(n + 1);
  const roll = next();
  const words = roll < 0.6 ? 1 + next() * 9 : roll < 0.9 ? 10 + next() * 25 : 40 + next() * 60;
  const parts = [`#${n}`];
  for (let i = 0; i < words; i++) parts.push(WORDS[Math.floor(next() * WORDS.length)]!);
  if (roll >= 0.9) parts.splice(Math.floor(parts.length / 2), 0, '\n');
  return parts.join(' ');
}

/** Sends `messages` with at most `inFlight` unanswered; rejects on the first refusal. */
export async function push(messages: Outgoing[], inFlight: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const m = messages[next++]!;
      const answer = (await m.from
        .timeout(60_000)
        .emitWithAck('msg:R', { id: m.id, to: m.to, body: m.body })) as { ok?: boolean };
      if (!answer?.ok) throw new Error(`msg:R ${m.id} refused: ${JSON.stringify(answer)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, messages.length) }, worker));
}

/** What was written: the accounts and the message ids that matter to the bench. */
export interface SeededHistory {
  reader: Session;
  big: Session;
  others: Session[];
  /** Messages stored in all of the reader's conversations. */
  total: number;
  /** The newest message of the big conversation. */
  newestId: string;
  /** Its text (starts with `#n`). */
  newestBody: string;
}

/** Sizes of the history to write. */
export interface SeedSizes {
  bigMessages: number;
  otherSenders: number;
  perOtherSender: number;
  ownEvery: number;
  inFlight: number;
}

/**
 * Writes a day's history for `reader`: `bigMessages` in the conversation with
 * `big` (every `ownEvery`-th one the reader's own, from another device), and
 * `perOtherSender` from each of `others`. The newest message of the big
 * conversation is sent last, alone, so that it is the newest by `seq`.
 */
export async function seedHistory(
  url: string,
  reader: Session,
  big: Session,
  others: Session[],
  sizes: SeedSizes,
): Promise<SeededHistory> {
  const readerSocket = await connect(url, reader.token);
  const bigSocket = await connect(url, big.token);
  const messages: Outgoing[] = [];
  for (let n = 0; n < sizes.bigMessages - 1; n++) {
    const own = n % sizes.ownEvery === sizes.ownEvery - 1;
    messages.push({
      from: own ? readerSocket : bigSocket,
      to: own ? big.userId : reader.userId,
      id: `b${n}`,
      body: bodyOf(n),
    });
  }
  await push(messages, sizes.inFlight);
  const last = sizes.bigMessages - 1;
  const newestBody = bodyOf(last);
  await push([{ from: bigSocket, to: reader.userId, id: `b${last}`, body: newestBody }], 1);
  readerSocket.close();
  bigSocket.close();

  const sockets = await Promise.all(others.map((s) => connect(url, s.token)));
  const small: Outgoing[] = [];
  sockets.forEach((from, i) => {
    for (let n = 0; n < sizes.perOtherSender; n++) {
      small.push({
        from,
        to: reader.userId,
        id: `o${i}x${n}`,
        body: bodyOf(100_000 + i * 1000 + n),
      });
    }
  });
  await push(small, sizes.inFlight);
  for (const s of sockets) s.close();
  return {
    reader,
    big,
    others,
    total: sizes.bigMessages + small.length,
    newestId: `b${last}`,
    newestBody,
  };
}
