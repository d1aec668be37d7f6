import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseSessionStore, openPostgres, openSqlite } from '../src/store/database.js';
import { SessionStoreUnavailableError } from '../src/store/session-store.js';
import { postgresStore, sqliteStore } from './database-helpers.js';
import { connectClient, startServer, waitFor, type TestServer } from './helpers.js';
import { assertReachable, service } from './services.js';
import { tempDir } from './own.js';
import { sessionStoreContract, TTL } from './store-contract.js';
import { closedPort, tcpProxy } from './tcp-proxy.js';

/**
 * The database store on SQLite (the built-in default) and on the real Postgres named by
 * DATABASE_URL (the local one when unset); the server's /ready follows the database.
 */
const postgres = service('postgres');
const DATABASE_URL = postgres.url;
beforeAll(() => assertReachable('postgres', postgres));
const work = tempDir('session-store-database');

sessionStoreContract('sqlite', async (clock) => {
  const store = await sqliteStore(work, clock, 'contract');
  return { store, cleanup: () => store.close() };
});

sessionStoreContract(
  `postgres${postgres.skipped}`,
  async (clock) => {
    const store = await postgresStore(DATABASE_URL!, clock);
    return {
      store,
      cleanup: async () => {
        await store.drop();
        await store.close();
      },
    };
  },
  { skip: !DATABASE_URL },
);

describe('a SQLite file that another process holds locked', () => {
  /**
   * A second process that creates `file` (a new, rollback-journal file), takes a `kind` lock on
   * it with a row written, and holds it `ms`; resolves once the lock is taken.
   */
  async function holdLock(file: string, kind: 'EXCLUSIVE' | 'IMMEDIATE', ms: number): Promise<ChildProcess> {
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { DatabaseSync } = require('node:sqlite');
         const db = new DatabaseSync(process.argv[1]);
         db.exec('CREATE TABLE t (x); BEGIN ${kind}; INSERT INTO t VALUES (1);');
         process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [chunk] = (await once(holder.stdout!, 'data')) as [Buffer];
      expect(chunk.toString()).toBe('locked\n');
    } catch (error) {
      holder.kill();
      throw error;
    }
    return holder;
  }

  // EXCLUSIVE: the opener waits in SQLite's busy handler. IMMEDIATE (a writer's RESERVED lock):
  // SQLite answers the switch to WAL "database is locked" at once, without waiting, since waiting
  // could deadlock; the opener tries again until the busy timeout.
  it.each(['EXCLUSIVE', 'IMMEDIATE'] as const)('opening waits for a %s lock instead of failing with "database is locked"', async (kind) => {
    const file = join(work, `held-${kind}.db`);
    const holder = await holdLock(file, kind, 300);
    try {
      const driver = await openSqlite(file, { busyTimeoutMs: 5000 });
      try {
        expect(await driver.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
        expect(await driver.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      } finally {
        await driver.close();
      }
    } finally {
      holder.kill();
    }
  });

  it('a lock held past the busy timeout fails the opening with SQLite\'s error', async () => {
    const file = join(work, 'held-long.db');
    const holder = await holdLock(file, 'IMMEDIATE', 5000);
    try {
      await expect(openSqlite(file, { busyTimeoutMs: 200 })).rejects.toThrow(/database is locked/);
    } finally {
      holder.kill();
    }
  });
});

describe('the database store while Postgres is down', () => {
  it('calls fail with a clear error, ping rejects, nothing crashes', async () => {
    const store = new DatabaseSessionStore({ driver: await openPostgres(`postgres://nobody@127.0.0.1:${await closedPort()}/none`), ttlMs: TTL });
    try {
      await expect(store.init()).rejects.toThrow(/session store database \(postgres\) is unavailable/);
      await expect(store.ping()).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(store.get('x')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    } finally {
      await store.close();
    }
  });
});

describe('session store readiness', () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));
  async function serve(env: Record<string, string>): Promise<TestServer> {
    const server = await startServer({ AUTH_MODE: 'none', LOG_LEVEL: 'silent', ...env });
    servers.push(server);
    return server;
  }
  const readyStatus = async (server: TestServer) => (await fetch(`${server.url}/ready`)).status;

  it('a SQLite file: ready', async () => {
    const server = await serve({ DATABASE_URL: `file:${join(work, 'ready.db')}` });
    expect(await readyStatus(server)).toBe(200);
  });

  it('Postgres unreachable: /ready 503, /health 200, MCP still served', async () => {
    const server = await serve({ DATABASE_URL: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    expect(await readyStatus(server)).toBe(503);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const client = await connectClient(server.mcpUrl);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it.skipIf(!DATABASE_URL)(`recovers when Postgres returns: 503 while it is away, 200 again after${postgres.skipped}`, async () => {
    const proxy = await tcpProxy(DATABASE_URL!, 5432);
    const table = `sessions_ready_${process.pid}_${Date.now().toString(36)}`;
    try {
      const server = await serve({ DATABASE_URL: proxy.url, SESSION_TABLE: table, RATE_LIMIT_TABLE: `${table}_limits` });
      expect(await readyStatus(server)).toBe(200);
      await proxy.cut();
      await waitFor(async () => (await readyStatus(server)) === 503, { timeoutMs: 10_000, intervalMs: 100 });
      await proxy.restore();
      await waitFor(async () => (await readyStatus(server)) === 200, { timeoutMs: 10_000, intervalMs: 100 });
    } finally {
      await proxy.close();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_limits`).finally(() => client.end());
    }
  });
});
