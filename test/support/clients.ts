import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { login, register } from '../../client/api';
import { DexieStorage } from '../../client/dexieStorage';
import { ImClient, type ImClientEvents, type ImClientOptions } from '../../client/imClient';
import type { StoredMessage } from '../../client/storage';
import type { ClientPolicy, ConversationId, Session } from '../../protocol';

/** One in-memory IndexedDB per test file, shared by its clients (like one browser profile). */
export const fakeIndexedDb = new IDBFactory();

let counter = 0;

/** Registers a user with a unique name. */
export async function newUser(url: string, prefix = 'user'): Promise<Session> {
  counter++;
  const username = `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
  return register(url, { username, password: 'correct horse battery', displayName: username });
}

/** Signs `session`'s person in once more: a new device, with a session of its own. */
export async function newDevice(
  url: string,
  session: Session,
  name = 'another device',
): Promise<Session> {
  return login(url, {
    username: session.username,
    password: 'correct horse battery',
    deviceName: name,
  });
}

/**
 * Resolves once `check` holds. It is evaluated now and again after every
 * event of `clients` (messages, status changes, read positions); rejects
 * after `timeoutMs` with `what` in the message.
 */
export function until(
  clients: ImClient[],
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    const off = () => {
      for (const c of clients) {
        c.events.off('message', poke);
        c.events.off('status', poke);
        c.events.off('conversation', poke);
        c.events.off('connection', poke);
      }
    };
    const timer = setTimeout(() => {
      done = true;
      off();
      reject(new Error(`timed out waiting until ${what}`));
    }, timeoutMs);
    async function poke() {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          if (await check()) {
            done = true;
            clearTimeout(timer);
            off();
            resolve();
            return;
          }
        } while (again && !done);
      } finally {
        running = false;
      }
    }
    for (const c of clients) {
      c.events.on('message', poke);
      c.events.on('status', poke);
      c.events.on('conversation', poke);
      c.events.on('connection', poke);
    }
    void poke();
  });
}

/**
 * Scrolls a conversation back from the newest message to the first, as the
 * UI does, `limit` at a time; every message met, newest first.
 */
export async function scrollBack(
  client: ImClient,
  conv: ConversationId,
  limit: number,
): Promise<StoredMessage[]> {
  const seen: StoredMessage[] = [];
  for (;;) {
    const before = seen.at(-1);
    const page = await client.history(conv, {
      limit,
      ...(before ? { before: { posA: before.posA, posB: before.posB, key: before.key } } : {}),
    });
    if (page.length === 0) return seen;
    seen.push(...page);
  }
}

/** Storage of one user on the shared fake IndexedDB. */
export function storageFor(session: Session, dbName = `tickline-${session.userId}`): DexieStorage {
  return new DexieStorage(dbName, { indexedDB: fakeIndexedDb, IDBKeyRange });
}

/** A started engine for `session` against `url` with short timers. */
export async function startClient(
  url: string,
  session: Session,
  options: Partial<ImClientOptions> & { policy?: ClientPolicy } = {},
): Promise<ImClient> {
  const client = new ImClient({
    url,
    token: session.token,
    userId: session.userId,
    storage: options.storage ?? storageFor(session),
    socketOptions: { reconnectionDelay: 50, reconnectionDelayMax: 200, ...options.socketOptions },
    ...options,
  });
  await client.start();
  return client;
}

/** Resolves with the first event `name` for which `predicate` holds. */
export function nextEvent<K extends keyof ImClientEvents>(
  client: ImClient,
  name: K,
  predicate: (value: ImClientEvents[K]) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<ImClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.events.off(name, handler);
      reject(new Error(`timed out waiting for ${String(name)}`));
    }, timeoutMs);
    const handler = (value: ImClientEvents[K]) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      client.events.off(name, handler);
      resolve(value);
    };
    client.events.on(name, handler);
  });
}

/** Waits until outgoing message `id` of `client` is (or becomes) `status`. */
export async function statusReached(
  client: ImClient,
  storage: { get(key: string): Promise<StoredMessage | undefined> },
  id: string,
  status: StoredMessage['status'],
  timeoutMs?: number,
): Promise<StoredMessage> {
  const event = nextEvent(client, 'status', (m) => m.id === id && m.status === status, timeoutMs);
  const now = await storage.get(`${client.userId}/${id}`);
  if (now && now.status === status) {
    event.catch(() => undefined);
    return now;
  }
  return event;
}

/** Waits until `client` is connected. */
export async function connected(client: ImClient): Promise<void> {
  if (client.connection === 'connected') return;
  await nextEvent(client, 'connection', (s) => s === 'connected');
}

/** Counts how many times each incoming message was shown (emitted) by `client`. */
export function countIncoming(client: ImClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.events.on('message', (m) => counts.set(m.key, (counts.get(m.key) ?? 0) + 1));
  return counts;
}

/** Engines, each on its own device's database, connected and closed together. */
export interface Devices {
  /** An engine for `session` (with `fresh`, for a device signed in anew), once connected. */
  engine(session: Session, fresh?: boolean): Promise<ImClient>;
  /** The storage under an engine, to read without the engine asking the server anything. */
  storageOf(client: ImClient): DexieStorage;
  /** Closes every engine and its storage. */
  closeAll(): void;
}

/**
 * Devices of people registered at `serverUrl` whose engines connect to
 * `connectUrl` (the server itself, or a fault proxy in front of it).
 */
export function devices(serverUrl: () => string, connectUrl = serverUrl): Devices {
  const storages = new Map<ImClient, DexieStorage>();
  return {
    async engine(session, fresh = false) {
      const s = fresh ? await newDevice(serverUrl(), session) : session;
      const storage = storageFor(s, `device-${s.deviceId}`);
      const client = await startClient(connectUrl(), s, { storage });
      storages.set(client, storage);
      await connected(client);
      return client;
    },
    storageOf: (client) => storages.get(client)!,
    closeAll() {
      for (const [client, storage] of storages) {
        client.close();
        storage.close();
      }
      storages.clear();
    },
  };
}
