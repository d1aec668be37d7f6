import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HybridSessionStore } from '../src/store/hybrid.js';
import type { RedisSessionStore } from '../src/store/redis.js';
import { SessionStoreUnavailableError } from '../src/store/session-store.js';
import { postgresStore, sqliteStore } from './database-helpers.js';
import { deleteKeys, redisStore } from './redis-helpers.js';
import { assertReachable, service } from './services.js';
import { tempDir } from './own.js';
import { RUN, sessionStoreContract, TestClock } from './store-contract.js';
import { closedPort, tcpProxy, type TcpProxy } from './tcp-proxy.js';

/** Redis in front of the database, against the real Redis and Postgres (the local ones when unset). */
const redis = service('redis');
const postgres = service('postgres');
const REDIS_URL = redis.url;
const DATABASE_URL = postgres.url;
beforeAll(async () => {
  await assertReachable('redis', redis);
  await assertReachable('postgres', postgres);
});
const work = tempDir('session-store-hybrid');

sessionStoreContract(
  'hybrid, Redis unreachable (sqlite)',
  async (clock) => {
    const redis = await redisStore(`redis://127.0.0.1:${await closedPort()}`, clock, `${RUN}:`);
    const store = new HybridSessionStore({ redis, database: await sqliteStore(work, clock, 'hybrid-down') });
    return { store, cleanup: () => store.close() };
  },
);

sessionStoreContract(
  `hybrid (Redis + ${DATABASE_URL ? 'postgres' : 'sqlite'})${redis.skipped}`,
  async (clock) => {
    const prefix = `test:${RUN}:hybrid:`;
    const database = DATABASE_URL ? await postgresStore(DATABASE_URL, clock) : await sqliteStore(work, clock, 'hybrid');
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

describe(`hybrid session store against a real Redis${redis.skipped}`, { skip: !REDIS_URL }, () => {
  const clock = new TestClock();
  const prefix = `test:${RUN}:hybrid-redis:`;
  let proxy: TcpProxy;
  let redis: RedisSessionStore;
  let store: HybridSessionStore;

  beforeAll(async () => {
    proxy = await tcpProxy(REDIS_URL!, 6379);
    redis = await redisStore(proxy.url, clock, prefix);
    store = new HybridSessionStore({ redis, database: await sqliteStore(work, clock, 'hybrid-flush') });
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

