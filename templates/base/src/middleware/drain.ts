import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { onResponseEnd } from '../http/response-end.js';
import type { InflightTracker } from '../lifecycle/inflight.js';
import type { Readiness } from '../lifecycle/readiness.js';

/**
 * Counts requests until their response has been fully sent, so shutdown can wait for them,
 * and asks clients to reconnect elsewhere once this instance is draining.
 */
export function drain({
  inflight,
  readiness,
}: {
  inflight: InflightTracker;
  readiness: Readiness;
}): MiddlewareHandler<AppEnv> {
  return async function drainMiddleware(c, next) {
    const done = inflight.start();
    try {
      await next();
    } catch (error) {
      done();
      throw error;
    }
    if (readiness.draining) c.header('Connection', 'close');
    if (c.get('longLived')) {
      done();
      return;
    }
    onResponseEnd(c, done);
  };
}
