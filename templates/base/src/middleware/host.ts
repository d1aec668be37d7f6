import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';

/** `example.com:8080` -> `example.com`, `[::1]:3000` -> `[::1]`. */
function hostname(host: string): string {
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/**
 * DNS rebinding protection: a hostile name resolving to this server still arrives with its
 * own name in Host. Entries match a host name on any port, or an exact `host:port`.
 * `*` in the list turns the check off (e.g. when a proxy in front already enforces it).
 */
export function hostGuard({ allowedHosts }: { allowedHosts: string[] }): MiddlewareHandler<AppEnv> {
  const anyHost = allowedHosts.includes('*');
  const allowed = new Set(allowedHosts);
  return async function hostMiddleware(c, next) {
    if (anyHost) return next();
    const host = c.req.header('host') ?? '';
    if (!allowed.has(host.toLowerCase()) && !allowed.has(hostname(host))) {
      c.var.log.warn({ host }, 'host rejected');
      return jsonRpcError(c, 403, JSONRPC.serverError, 'Forbidden: Host not allowed');
    }
    return next();
  };
}
