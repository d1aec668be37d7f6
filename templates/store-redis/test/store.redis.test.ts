import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStoreUnavailableError } from '../src/store/session-store.js';
import { PROJECT_STORE, startServer, type TestServer } from './helpers.js';
import { deleteKeys, redisStore } from './redis-helpers.js';
import { assertReachable, service } from './services.js';
import { RUN, sessionStoreContract, TestClock, TTL } from './store-contract.js';
import { closedPort } from './tcp-proxy.js';

/** The Redis session store against the real Redis named by REDIS_URL (the local one when unset). */
const redis = service('redis');
const REDIS_URL = redis.url;
beforeAll(() => assertReachable('redis', redis));

sessionStoreContract(
  `redis${redis.skipped}`,
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

describe('the Redis store leaves nothing that outlives its sessions', () => {
  it.skipIf(!REDIS_URL)('its indexes expire a TTL after their last write, never before a session they list', async () => {
    const prefix = `test:${RUN}:indexes:`;
    const clock = new TestClock();
    const store = await redisStore(REDIS_URL!, clock, prefix);
    try {
      await store.create({ sessionId: 'indexed', userId: 'someone' });
      // A record put back from the database with little time left, after the user's newer session.
      const created = clock.now();
      await store.put({ sessionId: 'older', userId: 'someone', createdAt: created - TTL, lastActivity: created - TTL + 2000, expiresAt: created + 2000, capabilities: {}, metadata: {} });
      for (const key of ['expiry', 'user:someone']) {
        const left = await store.client.pttl(`${prefix}${key}`);
        expect(left, key).toBeGreaterThan(TTL - 5000);
        expect(left, key).toBeLessThanOrEqual(TTL);
      }
      expect((await store.listByUser('someone')).map((record) => record.sessionId).sort()).toEqual(['indexed', 'older']);
    } finally {
      await store.close();
      await deleteKeys(REDIS_URL!, prefix);
    }
  });
});

describe('the Redis store while Redis is down', () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('calls fail with a clear error, ping rejects, nothing crashes', async () => {
    const store = await redisStore(`redis://127.0.0.1:${await closedPort()}`, new TestClock(), `${RUN}:`);
    try {
      await expect(store.ping()).rejects.toThrow(/session store redis is unavailable/);
      await expect(store.create({ sessionId: 'x', userId: 'y' })).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(store.get('x')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  // A project on the hybrid store keeps serving from the database behind Redis, by design.
  const onRedisAlone = PROJECT_STORE === 'redis';
  it(onRedisAlone ? 'the server starts with /ready at 503 and /health at 200' : 'the server starts ready: the database behind Redis serves', async () => {
    const server = await startServer({ AUTH_MODE: 'none', LOG_LEVEL: 'silent', REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    servers.push(server);
    expect((await fetch(`${server.url}/ready`)).status).toBe(onRedisAlone ? 503 : 200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
