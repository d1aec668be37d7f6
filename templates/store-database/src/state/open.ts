import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { connectDatabaseStore } from '../store/connect-database.js';
import { resilient } from '../store/open.js';
import type { SharedState } from './shared-state.js';

/**
 * The database holds the session records. This project runs as one instance, so its rate limit
 * buckets stay in its process: nothing else counts against the same limit; and so do its
 * `subscriptions/listen` change events (the MCP handler's in-process bus reaches every stream).
 */
export async function openSharedState(config: Config, { logger }: { logger: Logger }): Promise<SharedState> {
  return { sessionStore: resilient(await connectDatabaseStore(config, { logger }), 'database', logger) };
}
