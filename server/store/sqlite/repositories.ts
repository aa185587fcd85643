import type { Store } from '../../store';
import type { Repositories } from '../repositories';

/**
 * The SQLite store (`Store`, one writer) as {@link Repositories}: each
 * writing method in its own transaction, as the store writer's group commit
 * would run it.
 */
export function sqliteRepositories(store: Store): Repositories {
  const tx = <T>(work: () => T): T => store.db.transaction(work)();
  return {
    engine: 'sqlite',
    accounts: {
      insertUser: async (user, now) => tx(() => store.insertUser(user, now)),
      insertDevice: async (device, tokenHash, now, expiresAt) =>
        tx(() => store.insertDevice(device, tokenHash, now, expiresAt)),
      device: async (deviceId) => store.device(deviceId),
    },
    logs: {
      storeMessage: async (sender, device, msg, now) =>
        tx(() => store.storeMessage(sender, device, msg, now)),
      streamPage: async (scope, after, limit, maxBytes) =>
        store.streamPage(scope, after, limit, maxBytes),
      confirm: async (scope, sender, id, now) => tx(() => store.confirm(scope, sender, id, now)),
      compact: async (scope) => tx(() => store.compact(scope)),
    },
    close: async () => store.close(),
  };
}
