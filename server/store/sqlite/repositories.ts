import type { GroupCommit } from '../../groupCommit';
import type { Store } from '../../store';
import type { Repositories } from '../repositories';

/**
 * The SQLite store (`Store`, one writer) as {@link Repositories}. Writes run
 * through `commit` when given (one transaction per batch, as the store
 * writer's worker runs them), else each in its own transaction.
 */
export function sqliteRepositories(store: Store, commit?: GroupCommit): Repositories {
  const write = <T>(work: () => T): Promise<T> =>
    commit ? commit.run(work) : Promise.resolve(store.db.transaction(work)());
  return {
    engine: 'sqlite',
    accounts: {
      insertUser: async (user, now) => write(() => store.insertUser(user, now)),
      insertDevice: async (device, tokenHash, now, expiresAt) =>
        write(() => store.insertDevice(device, tokenHash, now, expiresAt)),
      device: async (deviceId) => store.device(deviceId),
    },
    logs: {
      storeMessage: async (sender, device, msg, now) =>
        write(() => store.storeMessage(sender, device, msg, now)),
      streamPage: async (scope, after, limit, maxBytes) =>
        store.streamPage(scope, after, limit, maxBytes),
      confirm: async (scope, sender, id, now) => write(() => store.confirm(scope, sender, id, now)),
      compact: async (scope) => write(() => store.compact(scope)),
    },
    close: async () => store.close(),
  };
}
