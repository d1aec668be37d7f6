import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { RateLimitStore } from '../rate-limit/store.js';

export interface RateLimitOptions {
  store: RateLimitStore;
  metrics: Metrics;
  /** The key requests are counted under; runs after authentication. */
  key: (c: Context<AppEnv>) => string;
}

/** Token bucket per client: 429 with Retry-After (whole seconds) once the bucket is empty. */
export function rateLimit({ store, metrics, key }: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const decision = await store.take(key(c));
    if (!decision.allowed) {
      metrics.rateLimited.inc();
      c.var.log.warn({ retryAfterSeconds: decision.retryAfterSeconds }, 'rate limited');
      return jsonRpcError(c, 429, JSONRPC.serverError, 'Too many requests', {
        'Retry-After': String(decision.retryAfterSeconds),
      });
    }
    return next();
  };
}
