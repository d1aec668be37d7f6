import type { Config } from '../config.js';
import { openRedisEventBus } from '../events/redis-bus.js';
import type { Logger } from '../observability/logger.js';
import { openRedisTokenBucket } from '../rate-limit/redis.js';
import { REPLICATED } from '../rate-limit/shared.js';
import { connectDatabaseStore } from '../store/connect-database.js';
import { connectRedisStore } from '../store/connect-redis.js';
import { HybridSessionStore } from '../store/hybrid.js';
import { resilient, serviceWarning } from '../store/open.js';
import type { SharedState } from './shared-state.js';

/**
 * Redis in front of the database holds the session records; the rate limit buckets of several
 * instances live in the Redis, the fast front, not in the database behind it, and so do their
 * `subscriptions/listen` change events (Redis pub/sub: nothing to keep, so nothing for the
 * database to add).
 */
export async function openSharedState(config: Config, { logger, replicated = REPLICATED }: { logger: Logger; replicated?: boolean }): Promise<SharedState> {
  const database = await connectDatabaseStore(config, { logger });
  const redis = await connectRedisStore(config, { logger });
  const sessionStore = resilient(new HybridSessionStore({ redis, database, onRedisError: serviceWarning(logger, 'redis') }), 'hybrid', logger);
  if (!replicated) return { sessionStore };
  const { REDIS_URL, REDIS_KEY_PREFIX } = config.settings;
  const eventBus = await openRedisEventBus({ url: REDIS_URL, channel: `${REDIS_KEY_PREFIX}events`, logger });
  if (config.rateLimitRps === 0) return { sessionStore, eventBus };
  logger.info('rate limits shared by every instance through Redis');
  const rateLimitStore = await openRedisTokenBucket({ url: REDIS_URL, ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst, prefix: REDIS_KEY_PREFIX, logger });
  return { sessionStore, rateLimitStore, eventBus };
}
