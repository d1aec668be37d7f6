import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { assertReachable, service } from './services.js';
import { RUN } from './store-contract.js';

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

const postgres = service('postgres');
const tables: string[] = [];

/** Checks Postgres is reachable before the suite, and drops the session tables it made after. */
export function useEventServices(): void {
  beforeAll(() => assertReachable('postgres', postgres));
  afterAll(async () => {
    if (!postgres.url || tables.length === 0) return;
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      for (const table of tables.splice(0)) await client.query(`DROP TABLE IF EXISTS ${table}`);
    } finally {
      await client.end();
    }
  });
}

/**
 * The variables that let replicas share `subscriptions/listen` change events: SQLite has no
 * notifications, so Postgres, with a session table (which names the channel) of the suite's own.
 */
export function eventsEnv(purpose: string, _dir: string): Record<string, string> {
  const table = `sessions_${RUN}_${purpose}`;
  tables.push(table);
  return { DATABASE_URL: postgres.url!, SESSION_TABLE: table };
}
