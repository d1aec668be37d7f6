import { Redis } from 'ioredis';
import { createRedisClient, firstConnection, RedisSessionStore } from '../src/store/redis.js';
import { TTL, type TestClock } from './store-contract.js';

/** Removes every key under `prefix`: each run writes under its own. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export async function redisStore(url: string, clock: TestClock, prefix: string): Promise<RedisSessionStore> {
  const client = createRedisClient(url);
  await firstConnection(client);
  return new RedisSessionStore({ client, prefix, ttlMs: TTL, now: clock.now });
}
