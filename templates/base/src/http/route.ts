import type { Context } from 'hono';

const KNOWN_ROUTES = new Set([
  '/mcp',
  '/health',
  '/ready',
  '/metrics',
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
]);

/** A bounded route label: raw paths would let any client create unlimited metric series. */
export function routeLabel(c: Context): string {
  return KNOWN_ROUTES.has(c.req.path) ? c.req.path : 'other';
}
