import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { SharedState } from './shared-state.js';

/**
 * The memory store: this project runs as one instance, so its sessions and rate limit buckets
 * live in its process and there is nothing to open.
 */
export async function openSharedState(_config: Config, _options: { logger: Logger }): Promise<SharedState> {
  return {};
}
