import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, PROTOCOL_VERSION, type Session } from '../../protocol';
import { newDevice, newUser, nextEvent, startClient, storageFor } from '../support/clients';
import { ask, collect, nextPush, rawConnect } from '../support/raw';
import { startServer } from '../support/servers';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('protocol versions', () => {
  let server: Started;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    server = await startServer();
    alice = await newUser(server.url, 'alice');
    bob = await newUser(server.url, 'bob');
  });
  afterAll(() => server.close());

  it('a wire-v1 client gets exactly the wire-v1 packets, and none of the extensions', async () => {
    const aliceV1 = await rawConnect(server.url, alice.token);
    const aliceV1b = await rawConnect(server.url, (await newDevice(server.url, alice)).token);
    const aliceV2 = await rawConnect(server.url, (await newDevice(server.url, alice)).token, 2);
    const bobV1 = await rawConnect(server.url, bob.token);
    const mirroredToV1 = collect(aliceV1b, 'msg:N');
    const mirroredToV2 = collect(aliceV2, 'msg:N');

    const pushed = nextPush(bobV1, 'msg:N');
    const msgA = await ask(aliceV1, 'msg:R', { id: 'v1-shape', to: bob.userId, body: 'plain' });
    expect(msgA).toEqual({ ok: true, id: 'v1-shape', ts: expect.any(Number) });
    const { ts } = msgA as { ts: number };
    expect(await pushed).toEqual({
      id: 'v1-shape',
      from: alice.userId,
      to: bob.userId,
      body: 'plain',
      ts,
    });
    const ackN = nextPush(aliceV1, 'ack:N');
    const ackNv2 = nextPush(aliceV2, 'ack:N');
    expect(await ask(bobV1, 'ack:R', { from: alice.userId, id: 'v1-shape' })).toEqual({ ok: true });
    expect(await ackN).toEqual({ id: 'v1-shape', to: bob.userId, offline: false, ts });
    // The same push to a protocol-2 connection carries the log fields.
    expect(await ackNv2).toEqual({
      id: 'v1-shape',
      to: bob.userId,
      offline: false,
      ts,
      seq: 1,
      conv: directConversationId(alice.userId, bob.userId),
    });
    // The sender's other devices: a v2 one saw the message as its own, a v1 one did not.
    expect(mirroredToV2).toEqual([
      expect.objectContaining({ id: 'v1-shape', from: alice.userId, seq: 1, state: 'sent' }),
    ]);
    expect(mirroredToV1).toEqual([]);
    // Only the recipient may acknowledge, for a v1 client even the sender's own device cannot.
    expect(await ask(aliceV1b, 'ack:R', { from: alice.userId, id: 'v1-shape' })).toMatchObject({
      error: { code: 'not_found' },
    });
    expect(await ask(aliceV2, 'ack:R', { from: alice.userId, id: 'v1-shape' })).toEqual({
      ok: true,
    });
    // Offline pages hold v1 shapes for v1 clients.
    bobV1.close();
    await ask(aliceV1, 'msg:R', { id: 'v1-later', to: bob.userId, body: 'later' });
    const bobAgain = await rawConnect(server.url, bob.token);
    expect(await ask(bobAgain, 'offline:R', {})).toEqual({
      ok: true,
      messages: [
        {
          id: 'v1-later',
          from: alice.userId,
          to: bob.userId,
          body: 'later',
          ts: expect.any(Number),
        },
      ],
      more: false,
    });
    for (const s of [aliceV1, aliceV1b, aliceV2, bobAgain]) s.close();
  });

  it('refuses a version it does not speak with a clear error, and the engine says so', async () => {
    for (const protocol of [PROTOCOL_VERSION + 1, 0, 'two', 1.5]) {
      await expect(rawConnect(server.url, alice.token, protocol)).rejects.toMatchObject({
        message: 'protocol_unsupported',
        data: { min: 1, max: PROTOCOL_VERSION },
      });
    }
    const client = await startClient(server.url, alice, {
      storage: storageFor(alice, 'future-client'),
      protocol: PROTOCOL_VERSION + 1,
    });
    expect(await nextEvent(client, 'incompatible')).toEqual({ min: 1, max: PROTOCOL_VERSION });
    client.close();
  });

  it('a server that no longer accepts wire-v1 clients tells them so', async () => {
    const strict = await startServer({ minProtocol: 2 });
    const carol = await newUser(strict.url, 'carol');
    await expect(rawConnect(strict.url, carol.token)).rejects.toMatchObject({
      message: 'protocol_unsupported',
      data: { min: 2, max: PROTOCOL_VERSION },
    });
    const ok = await rawConnect(strict.url, carol.token, 2);
    expect(await ask(ok, 'conv:list', {})).toEqual({ ok: true, conversations: [] });
    ok.close();
    await strict.close();
  });
});
