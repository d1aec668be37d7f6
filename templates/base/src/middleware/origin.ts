import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';

/**
 * Browsers send Origin; a page on another site must not drive this server (DNS rebinding,
 * CSRF), so a present Origin outside the allow-list is refused before authentication.
 * Requests without Origin come from non-browser clients and pass. Allowed origins get CORS.
 */
export function originGuard({ allowedOrigins }: { allowedOrigins: string[] }): MiddlewareHandler<AppEnv> {
  const allowed = new Set(allowedOrigins);
  const corsForAllowed = cors({
    origin: (origin) => (allowed.has(origin.toLowerCase()) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID', 'X-API-Key', 'X-Request-Id'],
    exposeHeaders: ['Mcp-Session-Id', 'WWW-Authenticate', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
  return async function originMiddleware(c, next) {
    const origin = c.req.header('origin');
    if (origin === undefined) return next();
    if (!allowed.has(origin.toLowerCase())) {
      c.var.log.warn({ origin }, 'origin rejected');
      return jsonRpcError(c, 403, JSONRPC.serverError, 'Forbidden: Origin not allowed');
    }
    return corsForAllowed(c, next);
  };
}
