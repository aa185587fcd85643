import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, historyASchema, type Session } from '../../protocol';
import { RETENTION_BATCH } from '../../server/retention';
import { newUser } from '../support/clients';
import { ask, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

const DAY = 24 * 60 * 60 * 1000;

describe('retention (--retention-days)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    server = await startServer({ retentionDays: 30 });
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
  });
  afterAll(() => server.close());

  it('deletes messages older than the period in small batches, while the server keeps answering', async () => {
    const socket = await rawConnect(server.url, alice.token, 2);
    const count = RETENTION_BATCH * 3 + 7;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        ask(socket, 'msg:R', { id: `old${i}`, to: bob.userId, body: `old ${i}` }),
      ),
    );
    const conv = directConversationId(alice.userId, bob.userId);
    const history = async () =>
      historyASchema.parse(await ask(socket, 'history:R', { conv, limit: 200 })).messages;
    // Nothing is old yet.
    expect(await server.retention!.runOnce()).toBe(0);
    expect(await history()).toHaveLength(200);

    // 31 days later. The event loop keeps turning between batches.
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const deleted = await server.retention!.runOnce(Date.now() + 31 * DAY);
    clearInterval(ticker);
    expect(deleted).toBe(count);
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(await history()).toEqual([]);
    // New messages continue the log where it was: seq never restarts.
    const next = (await ask(socket, 'msg:R', { id: 'new', to: bob.userId, body: 'new' })) as {
      seq: number;
    };
    expect(next.seq).toBe(count + 1);
    socket.close();
  });
});
