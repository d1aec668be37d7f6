import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { databaseTokenBucket, openDatabaseTokenBucket, type DatabaseTokenBucket, type DatabaseTokenBucketOptions } from '../src/rate-limit/database.js';
import { openPostgres, openSqlite, type SqlDriver } from '../src/store/database.js';
import { assertReachable, service } from './services.js';
import { closedPort, tcpProxy } from './tcp-proxy.js';
import { tempDir } from './own.js';

/**
 * Token buckets shared through the session database: SQLite always, and Postgres when
 * DATABASE_URL=postgres://... is set or this project's store is the database (test/services.ts).
 * Every limiter opens its own connection, as each replica does.
 */
const postgres = service('postgres');
const DATABASE_URL = postgres.url;
beforeAll(() => assertReachable('postgres', postgres));
const RUN = `${process.pid}_${Date.now().toString(36)}`;
const work = tempDir('rate-limit-db');
let tables = 0;

interface Engine {
  name: string;
  skip: boolean;
  /** A new connection to the engine's test database. */
  connect(): Promise<SqlDriver>;
}

const sqliteFile = join(work, 'limits.db');
const ENGINES: Engine[] = [
  { name: 'sqlite', skip: false, connect: () => openSqlite(sqliteFile) },
  {
    name: `postgres${postgres.skipped}`,
    skip: !DATABASE_URL,
    // A pool like the app's, with a generous timeout: 30 takes of one key queue on its row lock,
    // and on a busy machine a slow answer must not count as a failure (that path has its own test).
    connect: () => openPostgres(DATABASE_URL!, { max: 4, queryTimeoutMs: 10_000 }),
  },
];

const opened: Array<{ close(): Promise<void> }> = [];
const dropTables: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of dropTables) await drop().catch(() => {});
  await Promise.all(opened.map((store) => store.close().catch(() => {})));
});

/**
 * `count` limiters (replicas) over one new table of the engine, each with its table ready, as
 * `openDatabaseTokenBucket` leaves it before the app serves. `failures` holds what the database
 * failed with (each failure made a take fall back to a per-instance bucket), unless the test
 * passes its own `onError`.
 */
async function limiters(engine: Engine, count: number, options: Omit<DatabaseTokenBucketOptions, 'driver'>) {
  const table = `limits_${RUN}_${++tables}`;
  const failures: unknown[] = [];
  const list: DatabaseTokenBucket[] = [];
  for (let i = 0; i < count; i += 1) {
    const limiter = databaseTokenBucket({ purgeIntervalMs: 0, onError: (error) => failures.push(error), ...options, table, driver: await engine.connect() });
    opened.push(limiter);
    list.push(limiter);
    await limiter.init();
  }
  dropTables.push(() => list[0]!.drop());
  return Object.assign(list, { failures });
}

function fixedClock(start = 1_700_000_000_000) {
  const clock = { value: start, now: () => clock.value };
  return clock;
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(`rate limit buckets in the database: ${engine.name}`, () => {
    it('lets three limiters over one database allow one limit in total, not three', async () => {
      const clock = fixedClock();
      const replicas = await limiters(engine, 3, { ratePerSecond: 1, burst: 10, now: clock.now });
      const decisions = [];
      for (let i = 0; i < 30; i += 1) decisions.push(await replicas[i % 3]!.take('client-a'));
      expect(replicas.failures).toEqual([]);
      expect(decisions.filter((decision) => decision.allowed).length).toBe(10);
      // Exactly the first ten: no replica had a bucket of its own.
      expect(decisions.slice(0, 10).every((decision) => decision.allowed)).toBe(true);
    });

    it('never allows more than the burst under concurrent takes from every limiter', async () => {
      const clock = fixedClock();
      const replicas = await limiters(engine, 3, { ratePerSecond: 1, burst: 10, now: clock.now });
      const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.take('client-concurrent')));
      // A take the database failed would have been judged per instance: name the failure, not the count.
      expect(replicas.failures).toEqual([]);
      expect(decisions.filter((decision) => decision.allowed).length).toBe(10);
    });

    it('keeps one bucket per key', async () => {
      const clock = fixedClock();
      const [limiter] = await limiters(engine, 1, { ratePerSecond: 1, burst: 1, now: clock.now });
      expect((await limiter!.take('a')).allowed).toBe(true);
      expect((await limiter!.take('a')).allowed).toBe(false);
      expect((await limiter!.take('b')).allowed).toBe(true);
    });

    it('answers Retry-After in whole seconds until a token is back, at least 1', async () => {
      const clock = fixedClock();
      const [limiter] = await limiters(engine, 1, { ratePerSecond: 0.25, burst: 1, now: clock.now });
      expect(await limiter!.take('slow')).toEqual({ allowed: true, retryAfterSeconds: 0 });
      // Empty bucket, a token every 4 s.
      expect(await limiter!.take('slow')).toEqual({ allowed: false, retryAfterSeconds: 4 });
      clock.value += 2500;
      expect(await limiter!.take('slow')).toEqual({ allowed: false, retryAfterSeconds: 2 });
      clock.value += 1450;
      // 50 ms short of a token still says 1 s, never 0.
      expect(await limiter!.take('slow')).toEqual({ allowed: false, retryAfterSeconds: 1 });
      clock.value += 50;
      expect(await limiter!.take('slow')).toEqual({ allowed: true, retryAfterSeconds: 0 });
    });

    it('refills at the sustained rate, capped at the burst', async () => {
      const clock = fixedClock();
      const [first, second] = await limiters(engine, 2, { ratePerSecond: 2, burst: 3, now: clock.now });
      const allowedOf = async (n: number) => {
        let allowed = 0;
        for (let i = 0; i < n; i += 1) if ((await (i % 2 === 0 ? first! : second!).take('refill')).allowed) allowed += 1;
        return allowed;
      };
      expect(await allowedOf(5)).toBe(3);
      clock.value += 1000;
      expect(await allowedOf(5)).toBe(2);
      // A long pause refills to the burst, no further.
      clock.value += 60_000;
      expect(await allowedOf(10)).toBe(3);
    });

    it(`refills by the ${engine.name.startsWith('postgres') ? "database's" : "host's"} own clock when none is injected`, async () => {
      const [limiter] = await limiters(engine, 1, { ratePerSecond: 20, burst: 1 });
      expect((await limiter!.take('clock')).allowed).toBe(true);
      const denied = await limiter!.take('clock');
      expect(denied).toEqual({ allowed: false, retryAfterSeconds: 1 });
      // A token every 50 ms.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await limiter!.take('clock')).allowed).toBe(true);
    });

    it('purges buckets that have refilled completely, and only those', async () => {
      const clock = fixedClock();
      const [limiter] = await limiters(engine, 1, { ratePerSecond: 1, burst: 2, now: clock.now });
      await limiter!.take('idle');
      clock.value += 2500;
      await limiter!.take('busy');
      // `idle` has been alone for 2.5 s: full after 2 s, plus a second of margin, not yet.
      expect(await limiter!.purge()).toBe(0);
      clock.value += 1000;
      expect(await limiter!.purge()).toBe(1);
      const driver = await engine.connect();
      try {
        const rows = await driver.all(`SELECT bucket_key FROM ${limiter!.table} ORDER BY bucket_key`);
        expect(rows.map((row) => row.bucket_key)).toEqual(['busy']);
      } finally {
        await driver.close();
      }
      // A purged bucket answers as a full one.
      expect((await limiter!.take('idle')).allowed).toBe(true);
      expect((await limiter!.take('idle')).allowed).toBe(true);
      expect((await limiter!.take('idle')).allowed).toBe(false);
    });

    it('creates its table again when it was dropped', async () => {
      const clock = fixedClock();
      const [limiter] = await limiters(engine, 1, { ratePerSecond: 1, burst: 1, now: clock.now, retryAfterFailureMs: 0 });
      expect((await limiter!.take('k')).allowed).toBe(true);
      const driver = await engine.connect();
      try {
        // Dropped behind its back, as a restore from an older backup would.
        await driver.run(`DROP TABLE ${limiter!.table}`);
        // The take that finds no table is judged in this process; the next one is shared again.
        await limiter!.take('k');
        expect((await limiter!.take('k2')).allowed).toBe(true);
        expect((await driver.all(`SELECT bucket_key FROM ${limiter!.table}`)).map((row) => row.bucket_key)).toContain('k2');
      } finally {
        await driver.close();
      }
    });
  });
}

describe('rate limit buckets while the database is unreachable', () => {
  it('rejects a RATE_LIMIT_TABLE that is not a table name at start, naming the variable', () => {
    expect(() => loadConfig({ AUTH_MODE: 'none', RATE_LIMIT_TABLE: 'limits; DROP TABLE x' })).toThrow(/RATE_LIMIT_TABLE: expected a table name: letters, digits and _/);
    expect(loadConfig({ AUTH_MODE: 'none' }).settings.RATE_LIMIT_TABLE).toBe('mcp_rate_limits');
  });

  it('rejects a table name that is not one, naming the setting', () => {
    expect(() => databaseTokenBucket({ driver: { name: 'sqlite' } as SqlDriver, ratePerSecond: 1, burst: 1, table: 'limits; DROP TABLE x' })).toThrow(
      /RATE_LIMIT_TABLE: "limits; DROP TABLE x" is not a table name: use letters, digits and _/,
    );
  });

  it('falls back to per-instance limits when SQLite fails, then shares again', async () => {
    const real = await openSqlite(join(work, 'switch.db'));
    const state = { down: false };
    // A real driver behind a switch: while down, every statement fails as a broken disk would.
    const driver: SqlDriver = {
      name: 'sqlite',
      all: (sql, params) => (state.down ? Promise.reject(new Error('disk I/O error')) : real.all(sql, params)),
      run: (sql, params) => (state.down ? Promise.reject(new Error('disk I/O error')) : real.run(sql, params)),
      close: () => real.close(),
    };
    const errors: unknown[] = [];
    let recovered = 0;
    const clock = fixedClock();
    const limiter = databaseTokenBucket({ driver, ratePerSecond: 1, burst: 2, now: clock.now, purgeIntervalMs: 0, retryAfterFailureMs: 30, onError: (error) => errors.push(error), onRecover: () => (recovered += 1) });
    opened.push(limiter);
    expect((await limiter.take('c')).allowed).toBe(true);

    state.down = true;
    // The process' own bucket is fresh: the burst again, then 429, and no request fails.
    const whileDown = [await limiter.take('c'), await limiter.take('c'), await limiter.take('c')];
    expect(whileDown.map((decision) => decision.allowed)).toEqual([true, true, false]);
    expect(errors.length).toBe(1);

    state.down = false;
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Back on the shared bucket, which still holds the one token left before the outage.
    expect((await limiter.take('c')).allowed).toBe(true);
    expect((await limiter.take('c')).allowed).toBe(false);
    expect(recovered).toBe(1);
  });

  it.skipIf(!DATABASE_URL)(
    `falls back when the connection to Postgres is cut, logs it once, and shares again when it returns${postgres.skipped}`,
    async () => {
      const proxy = await tcpProxy(DATABASE_URL!, 5432);
      const lines: Array<Record<string, unknown>> = [];
      const logger = createLogger(
        'info',
        new Writable({
          write(chunk, _encoding, done) {
            for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
            done();
          },
        }),
      );
      const table = `limits_${RUN}_${++tables}`;
      // A slow refill (one token in 1000 s): what is left in a bucket stays put for the whole test.
      const limiter = await openDatabaseTokenBucket({ url: proxy.url, table, ratePerSecond: 0.001, burst: 3, logger });
      try {
        expect((await limiter.take('p')).allowed).toBe(true);
        await proxy.cut();
        const whileDown = [];
        for (let i = 0; i < 4; i += 1) whileDown.push((await limiter.take('p')).allowed);
        // Per instance: a fresh burst of 3, then 429; none of the requests failed.
        expect(whileDown).toEqual([true, true, true, false]);
        expect(lines.filter((line) => String(line.msg).startsWith('shared rate limit store failed')).length).toBe(1);

        await proxy.restore();
        // Within a second (the pause after a failure) a take reaches the database again.
        const deadline = performance.now() + 10_000;
        while (!lines.some((line) => String(line.msg).startsWith('shared rate limit store answers again')) && performance.now() < deadline) {
          await limiter.take('probe');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(lines.some((line) => String(line.msg).startsWith('shared rate limit store answers again'))).toBe(true);
        // The shared bucket kept its state through the outage: 2 of its 3 tokens were left.
        const after = [];
        for (let i = 0; i < 3; i += 1) after.push((await limiter.take('p')).allowed);
        expect(after).toEqual([true, true, false]);
      } finally {
        await limiter.drop().catch(() => {});
        await limiter.close();
        await proxy.close();
      }
    },
    30_000,
  );

  it('starts while Postgres is down and limits per instance', async () => {
    const logger = createLogger('silent');
    const limiter = await openDatabaseTokenBucket({ url: `postgres://nobody@127.0.0.1:${await closedPort()}/none`, ratePerSecond: 1, burst: 2, logger });
    try {
      const decisions = [await limiter.take('x'), await limiter.take('x'), await limiter.take('x')];
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
      expect(decisions[2]!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await limiter.close();
    }
  });
});
