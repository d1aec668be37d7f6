import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { onResponseEnd } from '../http/response-end.js';
import { routeLabel } from '../http/route.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * One log line and one metrics observation per request, taken when the response body has
 * ended: for a streamed tool call that is when the result was sent, not when headers were.
 * Headers are never logged, so credentials cannot leak through here.
 */
export function accessLog({ metrics }: { metrics: Metrics }): MiddlewareHandler<AppEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    const { method } = c.req;
    const route = routeLabel(c);
    const status = c.res.status;
    onResponseEnd(c, (outcome) => {
      const seconds = (performance.now() - started) / 1000;
      const labels = { method, route, status: String(status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      // Below the configured level the line is not built at all: this runs on every request.
      if (!c.var.log.isLevelEnabled('info')) return;
      c.var.log.info(
        {
          method,
          path: c.req.path,
          status,
          durationMs: Math.round(seconds * 1000),
          identity: c.var.identity?.id,
          ...(outcome === 'aborted' ? { aborted: true } : {}),
        },
        'request',
      );
    });
  };
}
