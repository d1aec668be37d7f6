import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

/** This project's store, for suites that run the whole server on it (test/replicas.test.ts). */
export const STORE = 'database';
/** Where replicas share their rate limit buckets. */
export const LIMITS_IN = 'the session database';
export const USES_REDIS = false;

/** A SQLite file needs no service; test/store.database.test.ts covers Postgres. */
export function useStoreServices(): void {}

/** The variables that point the server at the store: a SQLite file of the suite's own under `dir`. */
export function storeEnv(purpose: string, dir: string): Record<string, string> {
  return { DATABASE_URL: `file:${join(dir, `${purpose}-${randomUUID()}.db`)}` };
}
