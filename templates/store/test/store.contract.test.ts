import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseSessionStore, openPostgres, openSqlite } from '../src/store/database.js';
import { HybridSessionStore } from '../src/store/hybrid.js';
import { MemorySessionStore } from '../src/store/memory.js';
import { createRedisClient, firstConnection, RedisSessionStore } from '../src/store/redis.js';
import { DuplicateSessionError, SessionStoreUnavailableError, type Clock, type SessionStore } from '../src/store/session-store.js';
import { closedPort, tcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * One contract, every store. Service-backed stores run against the real services named by
 * REDIS_URL and DATABASE_URL (postgres://...) and are skipped, saying so, when those are unset.
 * Every run uses its own key prefix and table names, so parallel runs never see each other.
 */
const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : undefined;
const RUN = `t${Date.now().toString(36)}_${process.pid}_${randomUUID().slice(0, 8)}`;
const TTL = 60_000;
const work = mkdtempSync(join(tmpdir(), 'session-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const skippedUnless = (value: string | undefined, variable: string) => (value ? '' : ` (skipped: ${variable} not set)`);

class TestClock {
  value = Date.UTC(2030, 0, 1);
  readonly now: Clock = () => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}

interface Subject {
  store: SessionStore;
  cleanup(): Promise<void>;
}
type Factory = (clock: TestClock) => Promise<Subject>;

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

async function redisStore(url: string, clock: TestClock, prefix: string): Promise<RedisSessionStore> {
  const client = createRedisClient(url);
  await firstConnection(client);
  return new RedisSessionStore({ client, prefix, ttlMs: TTL, now: clock.now });
}

let tables = 0;
async function postgresStore(clock: TestClock): Promise<DatabaseSessionStore> {
  const store = new DatabaseSessionStore({ driver: await openPostgres(DATABASE_URL!), table: `sessions_${RUN}_${++tables}`, ttlMs: TTL, now: clock.now });
  await store.init();
  return store;
}

async function sqliteStore(clock: TestClock, name: string): Promise<DatabaseSessionStore> {
  const store = new DatabaseSessionStore({ driver: await openSqlite(join(work, `${name}.db`)), ttlMs: TTL, now: clock.now });
  await store.init();
  return store;
}

function sessionStoreContract(name: string, factory: Factory, { skip = false } = {}): void {
  describe.skipIf(skip)(`session store contract: ${name}`, () => {
    const clock = new TestClock();
    let subject: Subject;
    let store: SessionStore;
    const id = () => `s-${randomUUID()}`;
    const user = () => `u-${randomUUID()}`;

    beforeAll(async () => {
      subject = await factory(clock);
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    it('create/get round trip', async () => {
      const sessionId = id();
      const userId = user();
      const created = await store.create({
        sessionId,
        userId,
        capabilities: { sampling: {}, roots: { listChanged: true } },
        metadata: { client: 'contract', tags: ['a', 'b'], n: 1.5 },
        initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
      });
      expect(created).toEqual({
        sessionId,
        userId,
        capabilities: { sampling: {}, roots: { listChanged: true } },
        metadata: { client: 'contract', tags: ['a', 'b'], n: 1.5 },
        initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
        createdAt: clock.value,
        lastActivity: clock.value,
        expiresAt: clock.value + TTL,
      });
      expect(await store.get(sessionId)).toEqual(created);
      const minimal = await store.create({ sessionId: id(), userId });
      expect(await store.get(minimal.sessionId)).toEqual(minimal);
      expect(minimal).not.toHaveProperty('initializeRequest');
      await expect(store.create({ sessionId, userId })).rejects.toBeInstanceOf(DuplicateSessionError);
    });

    it('get of an unknown id is undefined', async () => {
      expect(await store.get(id())).toBeUndefined();
      expect(await store.touch(id())).toBeUndefined();
    });

    it('touch extends expiry (sliding, on the injected clock)', async () => {
      const { sessionId, createdAt } = await store.create({ sessionId: id(), userId: user() });
      clock.advance(TTL * 0.75);
      const touched = await store.touch(sessionId);
      expect(touched).toMatchObject({ sessionId, createdAt, lastActivity: clock.value, expiresAt: clock.value + TTL });
      clock.advance(TTL * 0.75);
      // Past the original expiry, inside the extended one.
      expect(await store.get(sessionId)).toMatchObject({ sessionId, expiresAt: touched!.expiresAt });
    });

    it('expiry removes a session from get, touch and listByUser', async () => {
      const userId = user();
      const { sessionId } = await store.create({ sessionId: id(), userId });
      clock.advance(TTL - 1);
      expect(await store.get(sessionId)).toBeDefined();
      clock.advance(1);
      expect(await store.get(sessionId)).toBeUndefined();
      expect(await store.touch(sessionId)).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([]);
      // An expired id may be reused.
      await expect(store.create({ sessionId, userId })).resolves.toMatchObject({ sessionId });
    });

    it('delete removes a session; deleting an unknown id is fine', async () => {
      const userId = user();
      const { sessionId } = await store.create({ sessionId: id(), userId });
      await store.delete(sessionId);
      expect(await store.get(sessionId)).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([]);
      await expect(store.delete(id())).resolves.toBeUndefined();
    });

    it("listByUser returns only that user's live sessions", async () => {
      const [alice, bob] = [user(), user()];
      const old = await store.create({ sessionId: id(), userId: alice });
      clock.advance(TTL / 2);
      const a2 = await store.create({ sessionId: id(), userId: alice });
      const a3 = await store.create({ sessionId: id(), userId: alice });
      const b1 = await store.create({ sessionId: id(), userId: bob });
      clock.advance(TTL / 2);
      const byId = (list: Array<{ sessionId: string }>) => list.map((s) => s.sessionId).sort();
      expect(byId(await store.listByUser(alice))).toEqual([a2.sessionId, a3.sessionId].sort());
      expect(byId(await store.listByUser(alice))).not.toContain(old.sessionId);
      expect(await store.listByUser(bob)).toEqual([b1]);
      expect(await store.listByUser(user())).toEqual([]);
    });

    it('purgeExpired removes expired records and keeps live ones', async () => {
      const userId = user();
      const gone = [await store.create({ sessionId: id(), userId }), await store.create({ sessionId: id(), userId })];
      clock.advance(TTL);
      const live = await store.create({ sessionId: id(), userId });
      // Earlier cases left expired records too: at least these two go.
      expect(await store.purgeExpired()).toBeGreaterThanOrEqual(gone.length);
      expect(await store.purgeExpired()).toBe(0);
      for (const { sessionId } of gone) expect(await store.get(sessionId)).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([live]);
    });

    it('ping resolves while the store is reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

sessionStoreContract('memory', async (clock) => {
  const store = new MemorySessionStore({ ttlMs: TTL, now: clock.now });
  return { store, cleanup: () => store.close() };
});

sessionStoreContract('sqlite', async (clock) => {
  const store = await sqliteStore(clock, 'contract');
  return { store, cleanup: () => store.close() };
});

sessionStoreContract(
  'hybrid, Redis unreachable (sqlite)',
  async (clock) => {
    const redis = await redisStore(`redis://127.0.0.1:${await closedPort()}`, clock, `${RUN}:`);
    const store = new HybridSessionStore({ redis, database: await sqliteStore(clock, 'hybrid-down') });
    return { store, cleanup: () => store.close() };
  },
);

sessionStoreContract(
  `redis${skippedUnless(REDIS_URL, 'REDIS_URL')}`,
  async (clock) => {
    const prefix = `test:${RUN}:redis:`;
    const store = await redisStore(REDIS_URL!, clock, prefix);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await deleteKeys(REDIS_URL!, prefix);
      },
    };
  },
  { skip: !REDIS_URL },
);

sessionStoreContract(
  `postgres${skippedUnless(DATABASE_URL, 'DATABASE_URL=postgres://...')}`,
  async (clock) => {
    const store = await postgresStore(clock);
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

sessionStoreContract(
  `hybrid (Redis + ${DATABASE_URL ? 'postgres' : 'sqlite'})${skippedUnless(REDIS_URL, 'REDIS_URL')}`,
  async (clock) => {
    const prefix = `test:${RUN}:hybrid:`;
    const database = DATABASE_URL ? await postgresStore(clock) : await sqliteStore(clock, 'hybrid');
    const store = new HybridSessionStore({ redis: await redisStore(REDIS_URL!, clock, prefix), database });
    return {
      store,
      cleanup: async () => {
        if (DATABASE_URL) await database.drop();
        await store.close();
        await deleteKeys(REDIS_URL!, prefix);
      },
    };
  },
  { skip: !REDIS_URL },
);

describe(`hybrid session store against a real Redis${skippedUnless(REDIS_URL, 'REDIS_URL')}`, { skip: !REDIS_URL }, () => {
  const clock = new TestClock();
  const prefix = `test:${RUN}:hybrid-redis:`;
  let proxy: TcpProxy;
  let redis: RedisSessionStore;
  let store: HybridSessionStore;

  beforeAll(async () => {
    proxy = await tcpProxy(REDIS_URL!, 6379);
    redis = await redisStore(proxy.url, clock, prefix);
    store = new HybridSessionStore({ redis, database: await sqliteStore(clock, 'hybrid-flush') });
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await deleteKeys(REDIS_URL!, prefix);
  });

  it('survives a flush of its Redis keys: read-through repopulates Redis', async () => {
    const record = await store.create({ sessionId: `s-${randomUUID()}`, userId: 'flushed' });
    expect(await redis.get(record.sessionId)).toEqual(record);
    await deleteKeys(REDIS_URL!, prefix);
    expect(await redis.get(record.sessionId)).toBeUndefined();
    expect(await store.get(record.sessionId)).toEqual(record);
    expect(await redis.get(record.sessionId)).toEqual(record);
    expect(await store.listByUser('flushed')).toEqual([record]);
  });

  it('keeps serving from the database while Redis is down, and repopulates it when Redis returns', async () => {
    const kept = await store.create({ sessionId: `s-${randomUUID()}`, userId: 'outage' });
    const removed = await store.create({ sessionId: `s-${randomUUID()}`, userId: 'outage' });
    await proxy.cut();
    await expect(redis.ping()).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(store.ping()).resolves.toBeUndefined();

    const during = await store.create({ sessionId: `s-${randomUUID()}`, userId: 'outage' });
    clock.advance(1000);
    const touched = await store.touch(kept.sessionId);
    expect(touched?.lastActivity).toBe(clock.value);
    await store.delete(removed.sessionId);
    expect(await store.get(during.sessionId)).toEqual(during);
    expect((await store.listByUser('outage')).map((s) => s.sessionId).sort()).toEqual([kept.sessionId, during.sessionId].sort());

    await proxy.restore();
    await expect.poll(() => redis.ping().then(() => true, () => false), { timeout: 10_000, interval: 100 }).toBe(true);
    // Redis still holds the pre-outage copies: the store must not serve them.
    expect(await store.get(removed.sessionId)).toBeUndefined();
    expect(await store.get(kept.sessionId)).toEqual(touched);
    expect(await redis.get(kept.sessionId)).toEqual(touched);
    expect(await redis.get(removed.sessionId)).toBeUndefined();
    expect(await store.get(during.sessionId)).toEqual(during);
    expect(await redis.get(during.sessionId)).toEqual(during);
  });
});

describe('a store whose service is down', () => {
  it('redis: calls fail with a clear error, ping rejects, nothing crashes', async () => {
    const store = await redisStore(`redis://127.0.0.1:${await closedPort()}`, new TestClock(), `${RUN}:`);
    try {
      await expect(store.ping()).rejects.toThrow(/session store redis is unavailable/);
      await expect(store.create({ sessionId: 'x', userId: 'y' })).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(store.get('x')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  it('postgres: calls fail with a clear error, ping rejects, nothing crashes', async () => {
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
