import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest, isJSONRPCNotification, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Context, Handler } from 'hono';
import type { SessionMode } from '../config.js';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';
import { withResponseEnd } from '../http/response-end.js';
import type { ServedMcp } from './layer.js';
import type { SessionRegistry } from './sessions.js';

export interface McpRouteOptions {
  mode: SessionMode;
  createServer: () => ServedMcp;
  /** Required in stateful mode. */
  sessions?: SessionRegistry;
  /** Stateless only: one JSON response instead of an SSE stream (serverless runtimes buffer responses anyway). */
  jsonResponse?: boolean;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parseBody(body: Uint8Array | undefined): Parsed {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body ?? new Uint8Array())) };
  } catch {
    return { ok: false };
  }
}

const isInitialize = (message: unknown) =>
  Array.isArray(message) ? message.some((item) => isInitializeRequest(item)) : isInitializeRequest(message);

/**
 * `/mcp` over the SDK's web-standard Streamable HTTP transport.
 * - stateless: a fresh server and transport per request; any replica can serve any request.
 * - stateful: sessions keyed by Mcp-Session-Id, bound to the identity that created them.
 */
export function mcpRoute({ mode, createServer, sessions, jsonResponse = false }: McpRouteOptions): Handler<AppEnv> {
  if (mode === 'stateful' && !sessions) throw new Error('stateful mode needs a session registry');
  return async function mcp(c) {
    let parsedBody: unknown;
    if (c.req.method === 'POST') {
      const parsed = parseBody(c.get('body'));
      if (!parsed.ok) return jsonRpcError(c, 400, JSONRPC.parseError, 'Parse error: invalid JSON');
      parsedBody = parsed.value;
    }
    return mode === 'stateless' || !sessions ? stateless(c, createServer, parsedBody, jsonResponse) : stateful(c, createServer, sessions, parsedBody);
  };
}

async function stateless(c: Context<AppEnv>, createServer: () => ServedMcp, parsedBody: unknown, jsonResponse: boolean): Promise<Response> {
  if (c.req.method !== 'POST') {
    return jsonRpcError(c, 405, JSONRPC.serverError, 'Method not allowed: this server is stateless, use POST', { Allow: 'POST' });
  }
  const server = createServer();
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: jsonResponse });
  await server.connect(transport);
  const response = await transport.handleRequest(c.req.raw, { parsedBody, authInfo: c.get('identity')?.authInfo });
  // Closing aborts a tool call whose client went away: nobody could receive its result.
  return withResponseEnd(response, () => void server.close());
}

async function stateful(
  c: Context<AppEnv>,
  createServer: () => ServedMcp,
  sessions: SessionRegistry,
  parsedBody: unknown,
): Promise<Response> {
  const owner = c.get('identity')?.id ?? 'anonymous';
  const authInfo = c.get('identity')?.authInfo;
  const sessionId = c.req.header('mcp-session-id');

  if (sessionId !== undefined) {
    const session = sessions.get(sessionId);
    // Someone else's session id gets the same answer as an unknown one: no existence oracle.
    if (!session || session.owner !== owner) {
      if (session) c.var.log.warn({ sessionId, owner, sessionOwner: session.owner }, 'session used by another identity');
      return jsonRpcError(c, 404, JSONRPC.sessionNotFound, 'Session not found');
    }
    if (c.req.method === 'GET') c.set('longLived', true);
    const done = sessions.use(session);
    try {
      const response = await session.transport.handleRequest(c.req.raw, { parsedBody, authInfo });
      return withResponseEnd(response, done);
    } catch (error) {
      done();
      throw error;
    }
  }

  if (c.req.method !== 'POST' || !isInitialize(parsedBody)) {
    return jsonRpcError(c, 400, JSONRPC.serverError, 'Bad Request: Mcp-Session-Id header required (initialize first)');
  }
  if (sessions.full) {
    return jsonRpcError(c, 503, JSONRPC.serverError, 'Too many sessions, retry later', { 'Retry-After': '5' });
  }

  const server = createServer();
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      sessions.add({ id, owner, server, transport });
    },
  });
  // Runs on DELETE, idle expiry and shutdown alike.
  transport.onclose = () => {
    if (transport.sessionId) sessions.remove(transport.sessionId);
  };
  await server.connect(transport);
  endStreamsOfCancelledRequests(transport);
  const response = await transport.handleRequest(c.req.raw, { parsedBody, authInfo });
  if (!transport.sessionId) await server.close();
  return response;
}

/**
 * A cancelled request gets no response (the spec forbids one), so the SDK never ends the SSE
 * stream that was waiting for it; without this the stream would stay open, keeping the
 * session busy and blocking graceful shutdown.
 */
function endStreamsOfCancelledRequests(transport: WebStandardStreamableHTTPServerTransport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    deliver?.(message, extra);
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: string | number } | undefined)?.requestId;
      if (requestId !== undefined) transport.closeSSEStream(requestId);
    }
  };
}
