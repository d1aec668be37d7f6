import { getConnInfo, handle } from 'hono/vercel';
import { JSONRPC } from '../http/errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createServerlessApp } from './app.js';

/** `functions["api/mcp.ts"].maxDuration` of vercel.json: the default FUNCTION_TIMEOUT_SECONDS on Vercel. */
export const VERCEL_MAX_DURATION_SECONDS = 60;

export type VercelHandler = (request: Request) => Promise<Response>;

const errorResponse = (status: number, code: number, message: string) =>
  Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });

/**
 * The app's paths as seen by a Vercel function. vercel.json rewrites /mcp, /health, /ready and
 * /metrics to api/mcp and Vercel keeps the URL the client asked for; a client that calls the
 * function's own path (/api/mcp) is served as /mcp.
 */
function toAppRequest(request: Request): Request {
  const url = new URL(request.url);
  if (!url.pathname.startsWith('/api/')) return request;
  url.pathname = url.pathname.slice('/api'.length);
  return new Request(url, request);
}

/**
 * A Vercel function handler (web Request in, Response out) over the same app as the Node
 * server and Lambda. Built once per instance, reused by every request it serves.
 */
export function createVercelHandler(env: Record<string, string | undefined>, { logger }: { logger?: Logger } = {}): VercelHandler {
  const ready = createServerlessApp(env, {
    defaultFunctionTimeoutSeconds: VERCEL_MAX_DURATION_SECONDS,
    // Vercel sets x-real-ip from the connection, replacing whatever a client sent.
    remoteAddress: (c) => getConnInfo(c).remote.address,
    logger,
  }).then(
    (built) => ({ serve: handle(built.app), built }),
    (error: unknown) => {
      (logger ?? createLogger('info')).fatal({ err: error }, error instanceof Error ? error.message : 'cannot build the app');
      return undefined;
    },
  );

  return async function vercelHandler(request) {
    const app = await ready;
    if (!app) return errorResponse(500, JSONRPC.internalError, 'Server misconfigured: see the function logs');
    try {
      return await app.serve(toAppRequest(request));
    } catch (error) {
      app.built.logger.error({ err: error }, 'unhandled error');
      return errorResponse(500, JSONRPC.internalError, 'Internal error');
    }
  };
}
