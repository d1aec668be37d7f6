import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import {
  DuplicateSessionError,
  newRecord,
  SessionStoreUnavailableError,
  systemClock,
  type Clock,
  type Json,
  type NewSession,
  type SessionRecord,
  type SessionStore,
  type StoreOptions,
} from './session-store.js';

export const DEFAULT_SQLITE_PATH = './data/sessions.db';

/** The two SQL engines behind the store. Statements use `$1`-style parameters for both. */
export interface SqlDriver {
  readonly name: 'sqlite' | 'postgres';
  all(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** `file:relative/path`, `file:///absolute/path`, or undefined for the default file. */
export function sqlitePath(url: string | undefined): string {
  if (url === undefined) return DEFAULT_SQLITE_PATH;
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (url.startsWith('file:')) return url.slice('file:'.length);
  throw new Error(`DATABASE_URL: expected file:path, postgres:// or postgresql:// (got a ${url.split(':')[0]}: URL)`);
}

/** SQLite through `node:sqlite`: no service to run, one file, one process at a time writing. */
export async function openSqlite(path: string, { busyTimeoutMs = 5000 }: { busyTimeoutMs?: number } = {}): Promise<SqlDriver> {
  // Loaded on demand: Postgres deployments never load the (experimental on Node 22) module.
  const { DatabaseSync } = await import('node:sqlite');
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new DatabaseSync(path);
  // Several processes (a restart overlapping the old one, test workers) may open the same file:
  // the busy timeout comes first, so that switching to WAL waits for another writer's lock.
  const timeoutMs = Math.max(0, Math.floor(busyTimeoutMs));
  db.exec(`PRAGMA busy_timeout = ${timeoutMs}`);
  // While another connection holds a writer's lock, SQLite answers the switch "database is locked"
  // at once instead of waiting (waiting could deadlock): it is tried again until the timeout.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      break;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) {
        db.close();
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  }
  const numbered = (sql: string) => sql.replace(/\$(\d+)/g, '?$1');
  // DatabaseSync#isOpen is newer than the oldest Node 22 this project supports.
  let open = true;
  return {
    name: 'sqlite',
    async all(sql, params = []) {
      return db.prepare(numbered(sql)).all(...(params as never[])) as Array<Record<string, unknown>>;
    },
    async run(sql, params = []) {
      return Number(db.prepare(numbered(sql)).run(...(params as never[])).changes);
    },
    async close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}

/** SQLITE_BUSY (primary code 5, whatever its extended code), as node:sqlite reports it. */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' ? (code & 0xff) === 5 : /database is locked/.test(String(error));
}

/** Postgres through a `pg` pool; a lost server fails queries but never the process. */
export async function openPostgres(
  url: string,
  { onError, max = 10, queryTimeoutMs = 5000 }: { onError?: (error: Error) => void; max?: number; queryTimeoutMs?: number } = {},
): Promise<SqlDriver> {
  const { default: pg } = await import('pg');
  const pool: Pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: Math.min(2000, queryTimeoutMs),
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: 10_000,
  });
  // An idle client whose server went away emits here; unhandled, it would crash the process.
  pool.on('error', (error) => onError?.(error));
  let ended = false;
  return {
    name: 'postgres',
    async all(sql, params = []) {
      return (await pool.query(sql, params)).rows as Array<Record<string, unknown>>;
    },
    async run(sql, params = []) {
      return (await pool.query(sql, params)).rowCount ?? 0;
    },
    async close() {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}

export interface DatabaseStoreOptions extends StoreOptions {
  driver: SqlDriver;
  /** Lets several apps or test runs share a database. */
  table?: string;
}

const COLUMNS = 'session_id, user_id, capabilities, metadata, initialize_request, created_at, last_activity, expires_at';

/**
 * One row per session, indexed by user and by expiry. The schema is created on first use and
 * retried until it succeeds, so a server can start while its database is still down.
 */
export class DatabaseSessionStore implements SessionStore {
  readonly driver: SqlDriver;
  readonly table: string;
  private readonly ttlMs: number;
  private readonly now: Clock;
  private schema: Promise<void> | undefined;

  constructor({ driver, table = 'mcp_sessions', ttlMs, now = systemClock }: DatabaseStoreOptions) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/i.test(table)) throw new Error(`session table name ${JSON.stringify(table)}: letters, digits and _ only`);
    this.driver = driver;
    this.table = table;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** Creates the table and indexes (idempotent). Every operation waits for it. */
  init(): Promise<void> {
    this.schema ??= this.createSchema().catch((error: unknown) => {
      this.schema = undefined;
      throw this.unavailable(error);
    });
    return this.schema;
  }

  async create(session: NewSession): Promise<SessionRecord> {
    const record = newRecord(session, this.now(), this.ttlMs);
    const t = this.table;
    // An expired row with the same id is replaced; a live one is a duplicate.
    const changed = await this.run(
      `INSERT INTO ${t} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id, capabilities = excluded.capabilities,
         metadata = excluded.metadata, initialize_request = excluded.initialize_request, created_at = excluded.created_at,
         last_activity = excluded.last_activity, expires_at = excluded.expires_at
       WHERE ${t}.expires_at <= $6`,
      toRow(record),
    );
    if (changed === 0) throw new DuplicateSessionError(record.sessionId);
    return record;
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const rows = await this.all(`SELECT ${COLUMNS} FROM ${this.table} WHERE session_id = $1 AND expires_at > $2`, [sessionId, this.now()]);
    return rows[0] && fromRow(rows[0]);
  }

  async touch(sessionId: string): Promise<SessionRecord | undefined> {
    const now = this.now();
    const changed = await this.run(`UPDATE ${this.table} SET last_activity = $1, expires_at = $2 WHERE session_id = $3 AND expires_at > $1`, [
      now,
      now + this.ttlMs,
      sessionId,
    ]);
    return changed === 0 ? undefined : this.get(sessionId);
  }

  async delete(sessionId: string): Promise<void> {
    await this.run(`DELETE FROM ${this.table} WHERE session_id = $1`, [sessionId]);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const rows = await this.all(`SELECT ${COLUMNS} FROM ${this.table} WHERE user_id = $1 AND expires_at > $2`, [userId, this.now()]);
    return rows.map(fromRow);
  }

  async purgeExpired(): Promise<number> {
    return this.run(`DELETE FROM ${this.table} WHERE expires_at <= $1`, [this.now()]);
  }

  async ping(): Promise<void> {
    await this.all('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  /** Removes the table; for tests and teardown scripts. */
  async drop(): Promise<void> {
    await this.driver.run(`DROP TABLE IF EXISTS ${this.table}`);
  }

  private async createSchema(): Promise<void> {
    const t = this.table;
    await this.driver.run(`CREATE TABLE IF NOT EXISTS ${t} (
      session_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      capabilities TEXT NOT NULL,
      metadata TEXT NOT NULL,
      initialize_request TEXT,
      created_at BIGINT NOT NULL,
      last_activity BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    )`);
    await this.driver.run(`CREATE INDEX IF NOT EXISTS ${t}_user_idx ON ${t} (user_id, expires_at)`);
    await this.driver.run(`CREATE INDEX IF NOT EXISTS ${t}_expires_idx ON ${t} (expires_at)`);
  }

  private async all(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    await this.init();
    try {
      return await this.driver.all(sql, params);
    } catch (error) {
      throw this.failed(error);
    }
  }

  private async run(sql: string, params: unknown[] = []): Promise<number> {
    await this.init();
    try {
      return await this.driver.run(sql, params);
    } catch (error) {
      throw this.failed(error);
    }
  }

  private failed(error: unknown): Error {
    // A table dropped or a database restored from an older backup: recreate the schema next time.
    const code = (error as { code?: string }).code;
    if (code === '42P01' || /no such table/.test(String((error as Error).message))) this.schema = undefined;
    return this.unavailable(error);
  }

  private unavailable(error: unknown): Error {
    return error instanceof SessionStoreUnavailableError ? error : new SessionStoreUnavailableError(`database (${this.driver.name})`, error);
  }
}

function toRow(record: SessionRecord): unknown[] {
  return [
    record.sessionId,
    record.userId,
    JSON.stringify(record.capabilities),
    JSON.stringify(record.metadata),
    record.initializeRequest === undefined ? null : JSON.stringify(record.initializeRequest),
    record.createdAt,
    record.lastActivity,
    record.expiresAt,
  ];
}

function fromRow(row: Record<string, unknown>): SessionRecord {
  return {
    sessionId: String(row.session_id),
    userId: String(row.user_id),
    capabilities: JSON.parse(String(row.capabilities)) as Record<string, Json>,
    metadata: JSON.parse(String(row.metadata)) as Record<string, Json>,
    // BIGINT arrives as a string from pg; epoch milliseconds fit a double exactly.
    createdAt: Number(row.created_at),
    lastActivity: Number(row.last_activity),
    expiresAt: Number(row.expires_at),
    ...(row.initialize_request === null || row.initialize_request === undefined
      ? {}
      : { initializeRequest: JSON.parse(String(row.initialize_request)) as Json }),
  };
}
