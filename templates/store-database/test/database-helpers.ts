import { join } from 'node:path';
import { DatabaseSessionStore, openPostgres, openSqlite } from '../src/store/database.js';
import { RUN, TTL, type TestClock } from './store-contract.js';

let tables = 0;

/** A store on a table of its own in the Postgres at `url`; `drop()` removes the table. */
export async function postgresStore(url: string, clock: TestClock): Promise<DatabaseSessionStore> {
  const store = new DatabaseSessionStore({ driver: await openPostgres(url), table: `sessions_${RUN}_${++tables}`, ttlMs: TTL, now: clock.now });
  await store.init();
  return store;
}

/** A store on a SQLite file of its own in `dir`. */
export async function sqliteStore(dir: string, clock: TestClock, name: string): Promise<DatabaseSessionStore> {
  const store = new DatabaseSessionStore({ driver: await openSqlite(join(dir, `${name}.db`)), ttlMs: TTL, now: clock.now });
  await store.init();
  return store;
}
