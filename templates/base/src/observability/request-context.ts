import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger.js';

export interface RequestContext {
  requestId: string;
  log: Logger;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Tool handlers run deep inside the SDK, far from the Hono context; the async context is
 * how they find the request id and logger of the HTTP request that carried the call.
 */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
