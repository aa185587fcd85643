import { afterEach, describe, expect, it } from 'vitest';
import { ImClient } from '../../../client/imClient';
import { MemoryStorage } from '../../../client/memoryStorage';
import { directConversationId } from '../../../protocol';
import { message } from './helpers';

const TO_BOB = directConversationId('me', 'bob');
const TO_CAROL = directConversationId('me', 'carol');

let client: ImClient | undefined;
afterEach(() => client?.close());

/** An engine (never connected) whose outbox holds failed messages to bob and to carol. */
async function engineWithFailures() {
  const storage = new MemoryStorage();
  const failed = (id: string, peer: 'bob' | 'carol') =>
    message({ id, to: peer, peer, conv: peer === 'bob' ? TO_BOB : TO_CAROL, status: 'failed' });
  for (const m of [failed('b1', 'bob'), failed('b2', 'bob'), failed('c1', 'carol')]) {
    await storage.addOutgoing({ ...m, seq: undefined, outbox: true, composedAt: 1 });
  }
  client = new ImClient({ url: 'http://127.0.0.1:9', token: 't', userId: 'me', storage });
  const status = async (id: string) => (await storage.get(`me/${id}`))?.status;
  return { client, status };
}

describe('failed messages per conversation (engine)', () => {
  it('failedMessages(conv) lists only that conversation; without it, all', async () => {
    const { client } = await engineWithFailures();
    const ids = (list: { id: string }[]) => list.map((m) => m.id).sort();
    expect(ids(await client.failedMessages())).toEqual(['b1', 'b2', 'c1']);
    expect(ids(await client.failedMessages(TO_BOB))).toEqual(['b1', 'b2']);
    expect(ids(await client.failedMessages(TO_CAROL))).toEqual(['c1']);
  });

  it('resendAllFailed(conv) resends only that conversation', async () => {
    const { client, status } = await engineWithFailures();
    expect(await client.resendAllFailed(TO_CAROL)).toBe(1);
    expect(await status('c1')).toBe('pending');
    expect(await status('b1')).toBe('failed');
    expect(await status('b2')).toBe('failed');
    // The old call (no argument) still resends everything.
    expect(await client.resendAllFailed()).toBe(2);
    expect(await status('b1')).toBe('pending');
  });
});
