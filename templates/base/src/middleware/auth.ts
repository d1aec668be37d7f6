import type { Context, MiddlewareHandler } from 'hono';
import { ANONYMOUS, VerifierUnavailableError, type Verifier } from '../auth/identity.js';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';
import type { Metrics } from '../observability/metrics.js';

export interface AuthOptions {
  /** Undefined: authentication is off and every caller is anonymous. */
  verifier?: Verifier;
  metrics: Metrics;
  /** Where clients find the protected resource metadata (RFC 9728), for WWW-Authenticate. */
  resourceMetadataUrl: (c: Context<AppEnv>) => string;
}

function credential(c: Context<AppEnv>, verifier: Verifier): string | undefined {
  const header = c.req.header('authorization');
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  return verifier.kind === 'apikey' ? c.req.header('x-api-key')?.trim() || undefined : undefined;
}

/**
 * Authenticates every method on the route (POST, GET and DELETE alike). The token itself
 * is never logged; the identity that replaces it is a non-secret id.
 */
export function authenticate({ verifier, metrics, resourceMetadataUrl }: AuthOptions): MiddlewareHandler<AppEnv> {
  return async function authMiddleware(c, next) {
    if (!verifier) {
      c.set('identity', ANONYMOUS);
      return next();
    }
    const token = credential(c, verifier);
    // RFC 6750 section 3 and the MCP authorization spec: where the metadata is, which scopes it takes, what went wrong.
    const scope = verifier.requiredScopes.length > 0 ? `, scope="${verifier.requiredScopes.join(' ')}"` : '';
    const challenge = (error?: string) =>
      `Bearer resource_metadata="${resourceMetadataUrl(c)}"${scope}${error ? `, error="${error}"` : ''}`;
    if (!token) {
      metrics.authFailures.inc({ reason: 'missing' });
      return jsonRpcError(c, 401, JSONRPC.serverError, 'Unauthorized: credentials required', {
        'WWW-Authenticate': challenge(),
      });
    }
    let identity;
    try {
      identity = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof VerifierUnavailableError)) throw error;
      c.var.log.error({ err: error.cause ?? error }, 'credential verification unavailable');
      return jsonRpcError(c, 503, JSONRPC.serverError, 'Authentication temporarily unavailable', { 'Retry-After': '5' });
    }
    if (!identity) {
      metrics.authFailures.inc({ reason: 'invalid' });
      c.var.log.warn('invalid credentials');
      return jsonRpcError(c, 401, JSONRPC.serverError, 'Unauthorized: invalid credentials', {
        'WWW-Authenticate': challenge('invalid_token'),
      });
    }
    const granted = new Set(identity.authInfo?.scopes ?? []);
    const missing = verifier.requiredScopes.filter((required) => !granted.has(required));
    if (missing.length > 0) {
      metrics.authFailures.inc({ reason: 'scope' });
      c.var.log.warn({ missing }, 'token lacks required scopes');
      return jsonRpcError(c, 403, JSONRPC.serverError, `Forbidden: the token lacks the scope ${missing.join(' ')}`, {
        'WWW-Authenticate': challenge('insufficient_scope'),
      });
    }
    c.set('identity', identity);
    return next();
  };
}
