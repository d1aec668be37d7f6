import { throttledWarning, type Logger } from '../observability/logger.js';
import { isPostgresUrl, openPostgres, openSqlite, sqlitePath, type SqlDriver } from '../store/database.js';
import { memoryTokenBucket } from './memory.js';
import type { ClosableRateLimitStore, RateLimitDecision } from './store.js';

export const DEFAULT_RATE_LIMIT_TABLE = 'mcp_rate_limits';

export interface DatabaseTokenBucketOptions {
  driver: SqlDriver;
  ratePerSecond: number;
  burst: number;
  /** Lets several apps or test runs share a database. */
  table?: string;
  /**
   * Epoch milliseconds of "now" for refills. Unset, Postgres uses its own clock (clock_timestamp()),
   * so replicas whose clocks differ still agree; SQLite is shared only by processes on one host,
   * which share its clock, so it uses Date.now.
   */
  now?: () => number;
  /** Told when the database fails; the request is then judged by a bucket in this process. */
  onError?: (error: unknown) => void;
  /** Told when the database answers again after a failure. */
  onRecover?: () => void;
  /** After a failure, requests are judged per instance for this long before the database is tried again. */
  retryAfterFailureMs?: number;
  /** How often buckets that have refilled completely are deleted; 0 turns the timer off. */
  purgeIntervalMs?: number;
}

export interface DatabaseTokenBucket extends ClosableRateLimitStore {
  readonly table: string;
  /** Creates the table (idempotent). `take` waits for it and retries it after a failure. */
  init(): Promise<void>;
  /** Deletes buckets untouched for longer than a full refill: they would answer as a new, full bucket does. */
  purge(): Promise<number>;
  /** Removes the table; for tests and teardown scripts. */
  drop(): Promise<void>;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/i;

/**
 * Token buckets shared by every replica through the session database, so N replicas allow one
 * limit, not N: one row per client key, read, refilled and taken from by a single
 * `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement. The statement is atomic on both
 * engines (Postgres locks the row; SQLite holds its write lock for the statement), so takes
 * from several replicas never interleave. While the database is unreachable each replica falls
 * back to its own in-memory bucket: limits loosen to per-instance instead of failing requests.
 */
export function databaseTokenBucket({
  driver,
  ratePerSecond,
  burst,
  table = DEFAULT_RATE_LIMIT_TABLE,
  now,
  onError = () => {},
  onRecover = () => {},
  retryAfterFailureMs = 1000,
  purgeIntervalMs = 60_000,
}: DatabaseTokenBucketOptions): DatabaseTokenBucket {
  if (!TABLE_NAME.test(table)) throw new Error(`RATE_LIMIT_TABLE: ${JSON.stringify(table)} is not a table name: use letters, digits and _ (at most 63)`);
  if (!(ratePerSecond > 0)) throw new Error(`rate limit: the rate must be above 0 requests per second (got ${ratePerSecond})`);
  if (!(burst >= 1)) throw new Error(`rate limit: the burst must be at least 1 (got ${burst})`);

  const postgres = driver.name === 'postgres';
  const clock = now ?? (postgres ? undefined : Date.now);
  // `$n` is the parameter carrying the injected time, or null for the database's clock.
  const nowAt = (n: number) => (postgres ? `COALESCE($${n}::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)` : `$${n}`);
  const float = (n: number) => (postgres ? `$${n}::float8` : `$${n}`);
  const least = postgres ? 'LEAST' : 'MIN';
  const greatest = postgres ? 'GREATEST' : 'MAX';
  // Tokens the bucket holds now: what it held plus the refill since, capped at the burst
  // (a real division on SQLite, which would divide integers as integers).
  const refilled = `${least}(${float(2)}, b.tokens + ${greatest}(0, excluded.updated_at - b.updated_at) * ${float(3)} / ${postgres ? '1000' : '1000.0'})`;
  const takeSql = `INSERT INTO ${table} AS b (bucket_key, tokens, updated_at, allowed)
    VALUES ($1, ${float(2)} - 1, ${nowAt(4)}, TRUE)
    ON CONFLICT (bucket_key) DO UPDATE SET
      tokens = CASE WHEN ${refilled} >= 1 THEN ${refilled} - 1 ELSE ${refilled} END,
      allowed = ${refilled} >= 1,
      updated_at = ${greatest}(b.updated_at, excluded.updated_at)
    RETURNING tokens, allowed`;
  // A bucket left alone is full again after burst / rate seconds; then it may as well not exist.
  const fullAfterMs = Math.ceil((burst * 1000) / ratePerSecond) + 1000;
  const purgeSql = `DELETE FROM ${table} WHERE updated_at < ${nowAt(1)} - ${postgres ? '$2::bigint' : '$2'}`;

  const fallback = memoryTokenBucket({ ratePerSecond, burst });
  let schema: Promise<void> | undefined;
  let healthy = true;
  let retryAt = 0;
  let probing = false;

  const createSchema = async () => {
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${table} (
        bucket_key TEXT PRIMARY KEY,
        tokens DOUBLE PRECISION NOT NULL,
        updated_at BIGINT NOT NULL,
        allowed BOOLEAN NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS ${table}_updated_idx ON ${table} (updated_at)`,
    ];
    for (const sql of statements) {
      try {
        await driver.run(sql);
      } catch (error) {
        // Replicas starting together race on Postgres' catalog: the loser sees a duplicate and the object exists.
        const code = (error as { code?: string }).code;
        if (code !== '23505' && code !== '42P07') throw error;
        await driver.run(sql);
      }
    }
  };
  const init = () => {
    schema ??= createSchema().catch((error: unknown) => {
      schema = undefined;
      throw error;
    });
    return schema;
  };

  const takeShared = async (key: string): Promise<RateLimitDecision> => {
    await init();
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await driver.all(takeSql, [key, burst, ratePerSecond, clock ? Math.floor(clock()) : null]);
    } catch (error) {
      // A dropped table (or a database restored from an older backup): create it again next time.
      if ((error as { code?: string }).code === '42P01' || /no such table/.test(String((error as Error).message))) schema = undefined;
      throw error;
    }
    const row = rows[0];
    if (!row) throw new Error(`rate limit table ${table}: the bucket update returned no row`);
    // pg answers booleans, SQLite 0 or 1.
    if (row.allowed === true || Number(row.allowed) === 1) return { allowed: true, retryAfterSeconds: 0 };
    const tokens = Number(row.tokens);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / ratePerSecond)) };
  };

  const purge = async () => {
    await init();
    return driver.run(purgeSql, [clock ? Math.floor(clock()) : null, fullAfterMs]);
  };
  const timer =
    purgeIntervalMs > 0
      ? setInterval(() => {
          if (healthy) purge().catch(() => {});
        }, purgeIntervalMs)
      : undefined;
  // The timer must not keep a process alive that is otherwise done.
  timer?.unref();

  return {
    table,
    init,
    purge,
    async take(key) {
      if (!healthy) {
        // One request at a time probes the database after the pause; the rest stay per instance meanwhile.
        if (probing || performance.now() < retryAt) return fallback.take(key);
        probing = true;
      }
      try {
        const decision = await takeShared(key);
        if (!healthy) {
          healthy = true;
          onRecover();
        }
        return decision;
      } catch (error) {
        healthy = false;
        retryAt = performance.now() + retryAfterFailureMs;
        onError(error);
        return fallback.take(key);
      } finally {
        probing = false;
      }
    },
    async drop() {
      await driver.run(`DROP TABLE IF EXISTS ${table}`);
      schema = undefined;
    },
    async close() {
      if (timer) clearInterval(timer);
      await driver.close();
    },
  };
}

export interface OpenDatabaseRateLimitOptions {
  /** DATABASE_URL: postgres:// for Postgres, file:path (or unset, the default file) for SQLite. */
  url: string | undefined;
  table?: string;
  ratePerSecond: number;
  burst: number;
  logger: Logger;
}

/**
 * Opens a connection of its own to the session database (a small pool: one statement per
 * request, answered or abandoned within a second, so a slow database cannot hold requests;
 * a SQLite file waits at most 250 ms for another process' lock).
 * A database that is down at start does not fail the start: requests are limited per instance
 * until it answers.
 */
export async function openDatabaseTokenBucket({ url, table, ratePerSecond, burst, logger }: OpenDatabaseRateLimitOptions): Promise<DatabaseTokenBucket> {
  const failure = throttledWarning(logger, 'shared rate limit store failed: limiting per instance until the database answers (repeats within 30 s are not logged)');
  const warn = (error: unknown) => failure.warn(error);
  // SQLite calls are synchronous: a file locked by another process must not stall this one for long.
  const driver =
    url && isPostgresUrl(url) ? await openPostgres(url, { onError: warn, max: 4, queryTimeoutMs: 1000 }) : await openSqlite(sqlitePath(url), { busyTimeoutMs: 250 });
  // A bucket lost to a power cut only refills early: this connection's commits need not wait for
  // the disk (WAL with synchronous NORMAL cannot corrupt the file; session writes keep FULL).
  if (driver.name === 'sqlite') await driver.run('PRAGMA synchronous = NORMAL');
  const store = databaseTokenBucket({
    driver,
    table,
    ratePerSecond,
    burst,
    onError: warn,
    onRecover: () => {
      failure.reset();
      logger.info('shared rate limit store answers again: limits are shared by every instance');
    },
  });
  await store.init().catch((error: unknown) => warn(error));
  return store;
}
