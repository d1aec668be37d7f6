import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import type { Logger } from '../observability/logger.js';
import { runInRequestContext } from '../observability/request-context.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Takes X-Request-Id from the caller (when it is a plain token, so it cannot inject into
 * logs) or generates one, echoes it on the response and binds it to every log line.
 */
export function requestId({
  logger,
  header = 'X-Request-Id',
}: {
  logger: Logger;
  header?: string;
}): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header(header);
    const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId: id });
    c.set('requestId', id);
    c.set('log', log);
    await runInRequestContext({ requestId: id, log }, next);
    // On the response's own headers: `c.header` after the handler would make hono rebuild the response.
    try {
      c.res.headers.set(header, id);
    } catch {
      // a response with immutable headers (one passed on from fetch) is rebuilt after all
      c.header(header, id);
    }
  };
}
