import type { Config } from '../config.js';
import { openRedisEventBus } from '../events/redis-bus.js';
import type { Logger } from '../observability/logger.js';
import { openRedisTokenBucket } from '../rate-limit/redis.js';
import { REPLICATED } from '../rate-limit/shared.js';
import { connectRedisStore } from '../store/connect-redis.js';
import { resilient } from '../store/open.js';
import type { SharedState } from './shared-state.js';

/**
 * Redis holds the session records and, when several instances serve one limit, the rate
 * limit buckets (per-instance buckets would let N instances allow N times RATE_LIMIT_RPS).
 * Several instances also share the `subscriptions/listen` change events through Redis pub/sub,
 * so a stream held by one instance receives a change made through another.
 */
export async function openSharedState(config: Config, { logger, replicated = REPLICATED }: { logger: Logger; replicated?: boolean }): Promise<SharedState> {
  const sessionStore = resilient(await connectRedisStore(config, { logger }), 'redis', logger);
  if (!replicated) return { sessionStore };
  const { REDIS_URL, REDIS_KEY_PREFIX } = config.settings;
  const eventBus = await openRedisEventBus({ url: REDIS_URL, channel: `${REDIS_KEY_PREFIX}events`, logger });
  if (config.rateLimitRps === 0) return { sessionStore, eventBus };
  logger.info('rate limits shared by every instance through Redis');
  const rateLimitStore = await openRedisTokenBucket({ url: REDIS_URL, ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst, prefix: REDIS_KEY_PREFIX, logger });
  return { sessionStore, rateLimitStore, eventBus };
}
