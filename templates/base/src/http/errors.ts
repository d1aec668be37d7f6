import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** JSON-RPC error codes used outside the SDK (transport level, `id: null`). */
export const JSONRPC = {
  parseError: -32700,
  invalidRequest: -32600,
  serverError: -32000,
  sessionNotFound: -32001,
  internalError: -32603,
} as const;

/** Errors on `/mcp` are JSON-RPC shaped so MCP clients can surface them; never a stack trace. */
export function jsonRpcError(
  c: Context,
  status: ContentfulStatusCode,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return c.json({ jsonrpc: '2.0', error: { code, message }, id: null }, status, headers);
}
