import { MIGRATIONS } from './migrations';
import type { Store } from './store';
import type { StoreWriter } from './storeWriter';

/** How long the store writer may take to answer before the node is not ready. */
export const READY_TIMEOUT_MS = 2_000;

/** What `GET /readyz` answers: whether this node can take traffic, and why not. */
export interface Readiness {
  ok: boolean;
  /** `ok`, or why the database cannot take writes now. */
  database: string;
  /** `current`, or the schema version found and the one this code needs. */
  migrations: string;
}

/**
 * The readiness check of a node (`/readyz`, for a load balancer): the
 * database takes writes now (the store writer gets through a transaction
 * within {@link READY_TIMEOUT_MS}) and its schema is this code's. Checks
 * made while one is running share it, so that calling `/readyz` often
 * cannot queue work on the writer.
 */
export function readinessCheck(store: Store, writer: StoreWriter): () => Promise<Readiness> {
  let running: Promise<Readiness> | undefined;
  const check = async (): Promise<Readiness> => {
    const version = store.db.pragma('user_version', { simple: true }) as number;
    const migrations =
      version === MIGRATIONS.length
        ? 'current'
        : `schema version ${version}, this server needs ${MIGRATIONS.length}`;
    let timer: NodeJS.Timeout | undefined;
    const database = await Promise.race([
      writer.barrier().then(() => 'ok'),
      new Promise<string>((resolve) => {
        timer = setTimeout(
          () => resolve(`no write got through within ${READY_TIMEOUT_MS} ms`),
          READY_TIMEOUT_MS,
        );
      }),
    ])
      .catch((error: unknown) => `failed: ${(error as Error).message}`)
      .finally(() => clearTimeout(timer));
    return { ok: database === 'ok' && migrations === 'current', database, migrations };
  };
  return () => {
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  };
}
