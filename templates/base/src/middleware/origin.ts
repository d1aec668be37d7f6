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
    if (!allowed.has(origin.toLowerCase())) {
      c.var.log.warn({ origin }, 'origin rejected');
      return jsonRpcError(c, 403, JSONRPC.serverError, 'Forbidden: Origin not allowed');
    }
    return corsForAllowed(c, next);
  };
}
