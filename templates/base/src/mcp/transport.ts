import { randomUUID } from 'node:crypto';
import {
  createMcpHandler,
  isInitializeRequest,
  isJSONRPCNotification,
  isJsonContentType,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
  type InboundClassificationOutcome,
  type JSONRPCMessage,
  type McpHttpHandler,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { Context, Handler } from 'hono';
import type { McpProtocol, SessionMode } from '../config.js';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';
import { withResponseEnd } from '../http/response-end.js';
import type { Logger } from '../observability/logger.js';
import { createClassifier } from './classify.js';
import type { Forward, McpLayer, RequestCheck } from './layer-types.js';
import { SessionCapacityError, SessionStoreError, type Session, type SessionJson, type SessionRegistry, type SharedSessionRecord } from './sessions.js';

type CreateServer = McpLayer['createServer'];

export interface McpEndpointOptions {
  /** dual: 2026-07-28 and 2025-era clients; modern: 2026-07-28 only. */
  protocol: McpProtocol;
  /** stateful: 2025-era requests go to the sessionful leg (needs `protocol: 'dual'` and `sessions`). */
  mode: SessionMode;
  createServer: CreateServer;
  /** Required in stateful mode. */
  sessions?: SessionRegistry;
  /** One JSON response per request, never an SSE stream (for runtimes that buffer responses anyway). */
  jsonResponse?: boolean;
  /** What `subscriptions/listen` streams subscribe to; the SDK's in-process bus when absent. */
  bus?: ServerEventBus;
  /** The body limit the app applies (MAX_BODY_BYTES); the SDK's own reads use the same bound. */
  maxBodyBytes: number;
  logger: Logger;
  /** The layer's own check of 2026-07-28 requests (McpLayer.checkRequest), run before the SDK serves them. */
  checkRequest?: RequestCheck;
  /** Messages the layer answers itself, before a server session would (McpLayer.forward). */
  forward?: Forward;
}

export interface McpEndpoint {
  /** The Hono handler of `/mcp`. */
  route: Handler<AppEnv>;
  /** The SDK handler behind it: `notify` publishes change events to open `subscriptions/listen` streams. */
  handler: McpHttpHandler;
  /** Ends in-flight exchanges and open `subscriptions/listen` streams (shutdown). */
  close(): Promise<void>;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/** Refuses malformed UTF-8 instead of replacing it; whole-buffer decoding keeps no state, so one serves every request. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseBody(body: Uint8Array | undefined): Parsed {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(body ?? new Uint8Array())) };
  } catch {
    return { ok: false };
  }
}

const isInitialize = (message: unknown) =>
  Array.isArray(message) ? message.some((item) => isInitializeRequest(item)) : isInitializeRequest(message);

/**
 * The request as the SDK reads it: the body-limit middleware already consumed the original body,
 * so the request is rebuilt from the bytes it kept (same URL, method, headers and abort signal).
 */
function sizedRequest(c: Context<AppEnv>): Request {
  const raw = c.req.raw;
  const body = c.get('body');
  if (body === undefined) return raw;
  return new Request(raw.url, { method: raw.method, headers: raw.headers, body, signal: raw.signal });
}

/**
 * `/mcp` on the SDK's `createMcpHandler`: MCP 2026-07-28 requests are served statelessly, each by
 * a fresh server from the layer, so any instance can serve any request. 2025-era requests are
 * - served statelessly by the same handler (`dual`, stateless),
 * - refused with -32022 (`modern`),
 * - or routed with `isLegacyRequest` to the sessionful leg below (`dual`, stateful): sessions keyed by
 *   Mcp-Session-Id, bound to the identity that created them; with a shared store (load-balanced
 *   replicas) any replica continues a session from its record.
 */
export function createMcpEndpoint({ protocol, mode, createServer, sessions, jsonResponse = false, bus, maxBodyBytes, logger, checkRequest, forward }: McpEndpointOptions): McpEndpoint {
  const sessionful = mode === 'stateful';
  if (sessionful && !sessions) throw new Error('stateful mode needs a session registry');
  if (sessionful && protocol === 'modern') throw new Error('the sessionful 2025 leg needs MCP_PROTOCOL=dual');
  const handler = createMcpHandler(createServer, {
    legacy: protocol === 'dual' && !sessionful ? 'stateless' : 'reject',
    responseMode: jsonResponse ? 'json' : 'auto',
    bus,
    maxRequestBodySize: maxBodyBytes,
    // Refused requests are answered (and logged by the access log); this names why, for debugging.
    onerror: (error) => logger.debug({ err: error }, 'mcp handler reported an error'),
  });

  const classifyPost = createClassifier();
  /** How the SDK routes a POST with this parsed body: as a 2026-07-28 request, a 2025 one, or refused (what `isLegacyRequest` decides from). */
  const classify = (c: Context<AppEnv>, body: unknown): InboundClassificationOutcome =>
    classifyPost({
      body,
      protocolVersionHeader: c.req.header('mcp-protocol-version'),
      mcpMethodHeader: c.req.header('mcp-method'),
      mcpNameHeader: c.req.header('mcp-name'),
    });

  const route: Handler<AppEnv> = async function mcp(c) {
    // Built only when the SDK reads the request: a message the layer forwards never needs it.
    let sized: Request | undefined;
    const request = () => (sized ??= sizedRequest(c));
    const authInfo = c.get('identity')?.authInfo;
    // Parsed once, for the sessionful leg's routing, the layer's check and its forwarding alike.
    const parsed = c.req.method === 'POST' && (sessionful || checkRequest || forward) ? parseBody(c.get('body')) : undefined;
    const outcome = parsed?.ok ? classify(c, parsed.value) : undefined;
    if (sessionful && sessions) {
      // With the body parsed, the classification is the one `isLegacyRequest` would make from it.
      if (outcome ? outcome.kind === 'legacy' : await isLegacyRequest(request(), undefined, { maxRequestBodySize: maxBodyBytes })) {
        if (parsed && !parsed.ok) return jsonRpcError(c, 400, JSONRPC.parseError, 'Parse error: invalid JSON');
        return stateful(c, request, createServer, sessions, parsed?.ok ? parsed.value : undefined, forward);
      }
    }
    // A listen stream stays open until the client leaves or the server shuts down: draining does not wait for it.
    if (c.req.header('mcp-method') === 'subscriptions/listen') c.set('longLived', true);
    // The layer's check and forwarding see only what the SDK would serve as JSON.
    const inbound = outcome && isJsonContentType(c.req.header('content-type')) ? outcome : undefined;
    if (inbound?.kind === 'modern' && inbound.messageKind === 'request') {
      // The layer's own check runs on what the SDK would serve as a 2026-07-28 request; it answers everything else itself.
      const rejected = checkRequest ? await checkRequest(inbound.message, c.req.raw.headers) : undefined;
      if (rejected) return rejected;
    }
    // A 2026-07-28 request, or a 2025 one served without a session (`dual`, stateless), the layer may forward.
    const era = inbound?.kind === 'modern' && inbound.messageKind === 'request' ? 'modern' : inbound?.kind === 'legacy' && protocol === 'dual' && !sessionful ? 'legacy' : undefined;
    if (forward && era && parsed?.ok && isSingleMessage(parsed.value)) {
      const answer = await forward({ message: parsed.value, era, headers: c.req.raw.headers, authInfo, signal: c.req.raw.signal });
      if (answer) return answer;
    }
    return handler.fetch(request(), { authInfo });
  };
  return { route, handler, close: () => handler.close() };
}

/** The sessionful 2025 leg (SESSION_MODE=stateful). */
async function stateful(
  c: Context<AppEnv>,
  sizedRequest: () => Request,
  createServer: CreateServer,
  sessions: SessionRegistry,
  parsedBody: unknown,
  forward: Forward | undefined,
): Promise<Response> {
  const owner = c.get('identity')?.id ?? 'anonymous';
  const authInfo = c.get('identity')?.authInfo;
  const sessionId = c.req.header('mcp-session-id');

  if (sessionId !== undefined) {
    let session: Session | undefined;
    try {
      session = await sessions.resolve(sessionId, owner, (record) => rebuildSession(record, () => createServer({ era: 'legacy', authInfo, requestInfo: sizedRequest() }), sessions));
    } catch (error) {
      return unavailable(c, error);
    }
    // Someone else's session id gets the same answer as an unknown one: no existence oracle.
    if (!session) return jsonRpcError(c, 404, JSONRPC.sessionNotFound, 'Session not found');
    if (c.req.method === 'GET') c.set('longLived', true);
    const done = sessions.use(session);
    try {
      if (forward && c.req.method === 'POST' && isSingleMessage(parsedBody)) {
        const answer = await forward({ message: parsedBody, era: 'legacy', session: session.server, headers: c.req.raw.headers, authInfo, signal: c.req.raw.signal });
        // A stream ends later than the handler returns: the session stays in use until then.
        if (answer) return isEventStream(answer) ? withResponseEnd(answer, done) : (done(), answer);
      }
      const response = await session.transport.handleRequest(sizedRequest(), { parsedBody, authInfo });
      return withResponseEnd(response, done);
    } catch (error) {
      done();
      // A DELETE whose record could not be removed: the session is still live elsewhere, say so.
      if (error instanceof SessionStoreError) return unavailable(c, error);
      throw error;
    }
  }

  if (c.req.method !== 'POST' || !isInitialize(parsedBody)) {
    return jsonRpcError(c, 400, JSONRPC.serverError, 'Bad Request: Mcp-Session-Id header required (initialize first)');
  }
  if (!sessions.hasRoom()) {
    return jsonRpcError(c, 503, JSONRPC.serverError, 'Too many sessions, retry later', { 'Retry-After': '5' });
  }

  // The id is chosen up front so the shared record exists before the client can use the id on any replica.
  const id = randomUUID();
  if (sessions.shared) {
    const initializeRequest = initializeMessage(parsedBody);
    const params = jsonObject(initializeRequest.params);
    try {
      await sessions.record({
        sessionId: id,
        userId: owner,
        capabilities: jsonObject(params.capabilities),
        metadata: { clientInfo: params.clientInfo ?? null, protocolVersion: params.protocolVersion ?? null },
        initializeRequest,
      });
    } catch (error) {
      return unavailable(c, error);
    }
  }
  const request = sizedRequest();
  const server = createServer({ era: 'legacy', authInfo, requestInfo: request });
  const transport = openTransport(id, sessions, (sessionId) => sessions.add({ id: sessionId, owner, server, transport }));
  await server.connect(transport);
  endStreamsOfCancelledRequests(transport);
  const response = await transport.handleRequest(request, { parsedBody, authInfo });
  if (!transport.sessionId) {
    await server.close();
    if (sessions.shared) await sessions.forget(id).catch((error: unknown) => c.var.log.warn({ err: error, sessionId: id }, 'could not remove the record of a refused initialize'));
  }
  return response;
}

/** A transport for one session whose id is fixed: new (`id` generated here) or rebuilt (the stored id). */
function openTransport(id: string, sessions: SessionRegistry, onInitialized: (sessionId: string) => void): WebStandardStreamableHTTPServerTransport {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => id,
    onsessioninitialized: onInitialized,
    // DELETE: the record goes first, so every replica answers 404 from now on; awaited before the 200.
    onsessionclosed: (sessionId) => sessions.forget(sessionId),
  });
  // Runs on DELETE, idle expiry and shutdown alike; the shared record outlives all but DELETE.
  transport.onclose = () => sessions.remove(id, transport);
  return transport;
}

/**
 * Rebuilds a session another replica created, with public SDK API only: the stored initialize
 * request is replayed into a fresh transport whose id generator returns the stored id (the
 * server negotiates exactly as it did the first time), its response is discarded, and the
 * client's `notifications/initialized` is replayed too. The real request is handled afterwards.
 */
async function rebuildSession(record: SharedSessionRecord, createServer: () => Session['server'], sessions: SessionRegistry): Promise<Omit<Session, 'lastSeen' | 'active'>> {
  const server = createServer();
  let initialized = false;
  const transport = openTransport(record.sessionId, sessions, () => (initialized = true));
  try {
    await server.connect(transport);
    endStreamsOfCancelledRequests(transport);
    const replay = (body: unknown, headers: Record<string, string> = {}) =>
      transport.handleRequest(
        new Request('http://replay.invalid/mcp', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify(body),
        }),
        { parsedBody: body },
      );
    const answer = await replay(record.initializeRequest);
    // Reading to the end waits for the server's initialize result; nobody else is waiting for it.
    const text = await answer.text();
    if (!answer.ok || !initialized || /^data: .*"error":/m.test(text)) {
      throw new Error(`replaying the stored initialize failed (${answer.status}): ${text.slice(0, 200)}`);
    }
    const notified = await replay({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': record.sessionId });
    if (notified.status !== 202) throw new Error(`replaying notifications/initialized answered ${notified.status}`);
  } catch (error) {
    await server.close();
    throw error;
  }
  return { id: record.sessionId, owner: record.userId, server, transport };
}

/** One JSON-RPC message (not a batch), as a layer's `forward` takes it; it decides what it can forward. */
function isSingleMessage(body: unknown): body is JSONRPCMessage {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && (body as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.startsWith('text/event-stream') === true;
}

type JsonObject = { [key: string]: SessionJson };

/** The initialize message of the body (alone or in a batch); it came from JSON.parse, so it is JSON. */
function initializeMessage(parsedBody: unknown): JsonObject {
  const message: unknown = Array.isArray(parsedBody) ? parsedBody.find((item) => isInitializeRequest(item)) : parsedBody;
  return jsonObject(message as SessionJson | undefined);
}

function jsonObject(value: SessionJson | undefined): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

function unavailable(c: Context<AppEnv>, error: unknown): Response {
  if (error instanceof SessionCapacityError) {
    return jsonRpcError(c, 503, JSONRPC.serverError, 'Too many sessions, retry later', { 'Retry-After': '5' });
  }
  if (!(error instanceof SessionStoreError)) throw error;
  c.var.log.error({ err: error }, 'session store unavailable');
  return jsonRpcError(c, 503, JSONRPC.serverError, 'Session store unavailable, retry later', { 'Retry-After': '2' });
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
