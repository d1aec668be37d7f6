import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { openDatabaseTokenBucket } from '../rate-limit/database.js';
import { REPLICATED } from '../rate-limit/shared.js';
import { connectDatabaseStore } from '../store/connect-database.js';
import { resilient } from '../store/open.js';
import type { SharedState } from './shared-state.js';

/**
 * The database holds the session records and, when several instances serve one limit, the
 * rate limit buckets: a project on Postgres or one SQLite file needs no other service.
 */
export async function openSharedState(config: Config, { logger, replicated = REPLICATED }: { logger: Logger; replicated?: boolean }): Promise<SharedState> {
  const sessionStore = resilient(await connectDatabaseStore(config, { logger }), 'database', logger);
  if (!replicated || config.rateLimitRps === 0) return { sessionStore };
  const { DATABASE_URL, RATE_LIMIT_TABLE } = config.settings;
  logger.info({ table: RATE_LIMIT_TABLE }, 'rate limits shared by every instance through the session database');
  const rateLimitStore = await openDatabaseTokenBucket({ url: DATABASE_URL, table: RATE_LIMIT_TABLE, ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst, logger });
  return { sessionStore, rateLimitStore };
}
