import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { serviceWarning } from './open.js';
import { createRedisClient, firstConnection, RedisSessionStore } from './redis.js';
import type { Clock } from './session-store.js';

/**
 * The Redis session store at REDIS_URL, connected as far as Redis allows: Redis down at start
 * is reported by `ping()` (and so by /ready) instead of failing the start, and the store
 * recovers when Redis returns.
 */
export async function connectRedisStore(config: Config, { logger, now }: { logger?: Logger; now?: Clock } = {}): Promise<RedisSessionStore> {
  const { REDIS_URL, REDIS_KEY_PREFIX, SESSION_TTL_MS } = config.settings;
  const client = createRedisClient(REDIS_URL, { onError: serviceWarning(logger, 'redis') });
  await firstConnection(client);
  return new RedisSessionStore({ client, prefix: REDIS_KEY_PREFIX, ttlMs: SESSION_TTL_MS, now });
}
