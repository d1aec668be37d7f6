import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { openRedisTokenBucket } from '../rate-limit/redis.js';
import { REPLICATED } from '../rate-limit/shared.js';
import { connectRedisStore } from '../store/connect-redis.js';
import { resilient } from '../store/open.js';
import type { SharedState } from './shared-state.js';

/**
 * Redis holds the session records and, when several instances serve one limit, the rate
 * limit buckets (per-instance buckets would let N instances allow N times RATE_LIMIT_RPS).
 */
export async function openSharedState(config: Config, { logger, replicated = REPLICATED }: { logger: Logger; replicated?: boolean }): Promise<SharedState> {
  const sessionStore = resilient(await connectRedisStore(config, { logger }), 'redis', logger);
  if (!replicated || config.rateLimitRps === 0) return { sessionStore };
  logger.info('rate limits shared by every instance through Redis');
  const { REDIS_URL, REDIS_KEY_PREFIX } = config.settings;
  const rateLimitStore = await openRedisTokenBucket({ url: REDIS_URL, ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst, prefix: REDIS_KEY_PREFIX, logger });
  return { sessionStore, rateLimitStore };
}
