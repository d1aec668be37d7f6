import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The server's own origin on a loopback interface: `http://localhost:<port>`, `http://127.0.0.1:<port>`
 * or `http://[::1]:<port>`, with the port the request came to. A page elsewhere (another site, a
 * rebound DNS name, another local port) is not it.
 */
function isOwnLoopbackOrigin(origin: string, requestUrl: string): boolean {
  try {
    const from = new URL(origin);
    const to = new URL(requestUrl);
    return from.protocol === 'http:' && LOOPBACK_NAMES.has(from.hostname) && LOOPBACK_NAMES.has(to.hostname) && from.port === to.port;
  } catch {
    return false;
  }
}

/**
 * Browsers send Origin; a page on another site must not drive this server (DNS rebinding,
 * CSRF), so a present Origin outside the allow-list is refused before authentication.
 * Requests without Origin come from non-browser clients and pass. Allowed origins get CORS.
 * With `ownLoopbackOrigin` (ALLOWED_ORIGINS unset on a loopback HOST) the server's own loopback
 * origin is allowed too, so a local browser client of this very server works out of the box.
 */
export function originGuard({ allowedOrigins, ownLoopbackOrigin = false }: { allowedOrigins: string[]; ownLoopbackOrigin?: boolean }): MiddlewareHandler<AppEnv> {
  const allowed = new Set(allowedOrigins);
  const isAllowed = (origin: string, requestUrl: string) => allowed.has(origin.toLowerCase()) || (ownLoopbackOrigin && isOwnLoopbackOrigin(origin, requestUrl));
  const corsForAllowed = cors({
    origin: (origin, c) => (isAllowed(origin, c.req.url) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    // Mcp-Method and Mcp-Name are the routing headers every 2026-07-28 request carries; Mcp-Session-Id is the 2025 session.
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'Accept',
      'Mcp-Protocol-Version',
      'Mcp-Method',
      'Mcp-Name',
      'Mcp-Session-Id',
      'Last-Event-ID',
      'X-API-Key',
      'X-Request-Id',
      'traceparent',
      'tracestate',
    ],
    exposeHeaders: ['Mcp-Session-Id', 'Mcp-Protocol-Version', 'WWW-Authenticate', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
  return async function originMiddleware(c, next) {
    const origin = c.req.header('origin');
    if (origin === undefined) return next();
    if (!isAllowed(origin, c.req.url)) {
      c.var.log.warn({ origin }, 'origin rejected');
      return jsonRpcError(c, 403, JSONRPC.serverError, 'Forbidden: Origin not allowed');
    }
    return corsForAllowed(c, next);
  };
}
