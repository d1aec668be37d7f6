import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { DatabaseSessionStore, isPostgresUrl, openPostgres, openSqlite, sqlitePath } from './database.js';
import { serviceWarning } from './open.js';
import type { Clock } from './session-store.js';

/**
 * The database session store at DATABASE_URL (a SQLite file, or Postgres), its table created
 * on start: a Postgres that is down at start is reported by `ping()` (and so by /ready)
 * instead of failing the start, and the store recovers when it returns.
 */
export async function connectDatabaseStore(config: Config, { logger, now }: { logger?: Logger; now?: Clock } = {}): Promise<DatabaseSessionStore> {
  const { DATABASE_URL, SESSION_TABLE, SESSION_TTL_MS } = config.settings;
  const driver = isPostgresUrl(DATABASE_URL) ? await openPostgres(DATABASE_URL, { onError: serviceWarning(logger, 'postgres') }) : await openSqlite(sqlitePath(DATABASE_URL));
  const store = new DatabaseSessionStore({ driver, ttlMs: SESSION_TTL_MS, now, table: SESSION_TABLE });
  await store.init().catch((error: unknown) => logger?.warn({ err: error }, 'session database not reachable yet: /ready stays 503 until it is'));
  return store;
}
