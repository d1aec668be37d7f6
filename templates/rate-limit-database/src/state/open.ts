import type { Config } from '../config.js';
import { openPostgresEventBus } from '../events/postgres-bus.js';
import type { Logger } from '../observability/logger.js';
import { openDatabaseTokenBucket } from '../rate-limit/database.js';
import { REPLICATED } from '../rate-limit/shared.js';
import { connectDatabaseStore } from '../store/connect-database.js';
import { isPostgresUrl } from '../store/database.js';
import { resilient } from '../store/open.js';
import type { ClosableServerEventBus, SharedState } from './shared-state.js';

/**
 * The database holds the session records and, when several instances serve one limit, the
 * rate limit buckets: a project on Postgres or one SQLite file needs no other service. Several
 * instances on Postgres share the `subscriptions/listen` change events through LISTEN/NOTIFY on
 * a channel named after the session table (which already tells apps sharing a database apart).
 * SQLite has no notifications: each instance delivers the changes made through it, which is
 * right for one instance only.
 */
export async function openSharedState(config: Config, { logger, replicated = REPLICATED }: { logger: Logger; replicated?: boolean }): Promise<SharedState> {
  const sessionStore = resilient(await connectDatabaseStore(config, { logger }), 'database', logger);
  if (!replicated) return { sessionStore };
  const { DATABASE_URL, RATE_LIMIT_TABLE, SESSION_TABLE } = config.settings;
  let eventBus: ClosableServerEventBus | undefined;
  if (isPostgresUrl(DATABASE_URL)) {
    eventBus = await openPostgresEventBus({ url: DATABASE_URL, channel: SESSION_TABLE, logger });
  } else {
    logger.warn('SQLite has no notifications: subscriptions/listen streams receive only the changes made through their own instance (run one instance, or Postgres)');
  }
  if (config.rateLimitRps === 0) return { sessionStore, eventBus };
  logger.info({ table: RATE_LIMIT_TABLE }, 'rate limits shared by every instance through the session database');
  const rateLimitStore = await openDatabaseTokenBucket({ url: DATABASE_URL, table: RATE_LIMIT_TABLE, ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst, logger });
  return { sessionStore, rateLimitStore, eventBus };
}
