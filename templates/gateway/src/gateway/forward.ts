import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import {
  CLIENT_CAPABILITIES_META_KEY,
  isInputRequiredResult,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  SdkErrorCode,
  SdkHttpError,
  StreamableHTTPClientTransport,
  type CallToolResult,
  type Client,
  type Implementation,
} from '@modelcontextprotocol/client';
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResponse,
  Server,
} from '@modelcontextprotocol/server';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { AggregateErrorCode, type Aggregator, type AggregatorSession } from '../aggregate/index.js';
import type { Forward, ForwardRequest } from '../mcp/layer-types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, ToolOutcome } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { toWireError } from './errors.js';
import { mirroredTools, sentParamHeaders } from './param-headers.js';
import { needsSession, relayed } from './server.js';

export interface ForwarderOptions {
  aggregator: Aggregator;
  /** The backend sessions of a 2025 client session, by the server `createServer` made for it. */
  sessionOf(server: ForwardRequest['session']): AggregatorSession | undefined;
  logger: Logger;
  metrics: Metrics;
  /** REQUEST_TIMEOUT_MS: a slower call ends with a tool error, as on the session path. */
  toolTimeoutMs: number;
  tracing?: Pick<Tracing, 'instrumentTool'>;
  /** Who a 2026-07-28 result says answered it: the server the gateway presents itself as (as the session path's SDK says). */
  serverInfo(): Implementation;
}

/** Connections to backends are kept open between calls (a proxy's upstream keepalive). */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * Each backend URL as request options, worked out once: taking a URL apart on every call is a
 * measurable part of the hop, and so is copying members `http.request` does not read (`href`,
 * `search`, `hash`, `pathname`).
 */
const requestTargets = new WeakMap<URL, RequestOptions>();
function requestTarget(url: URL): RequestOptions {
  let options = requestTargets.get(url);
  if (!options) {
    const { protocol, hostname, port, path, auth } = urlToHttpOptions(url);
    options = { protocol, hostname, path, ...(port ? { port } : {}), ...(auth ? { auth } : {}) };
    requestTargets.set(url, options);
  }
  return options;
}

/**
 * The forwarding path: a `tools/call` for an HTTP backend of the client's own era goes to the
 * backend as the client wrote it (the tool's name without its namespace, the request id made
 * unique on a shared 2025 session), over a kept-alive connection, and the backend's answer comes
 * back as it was sent, message by message: progress and log lines on the client's stream with the
 * client's own progress token, a 2025 backend's requests (sampling, elicitation, roots) relayed to
 * the client that caused them and its answers relayed back. Nothing is rebuilt through a server and
 * a client session, which is where the session path spends its time.
 *
 * What it does not take (the session path serves it, with the same results): other methods,
 * backends with OAuth toward them (their token is the session path's), a 2026-07-28 client calling a
 * 2025 backend (the held calls translate between them), a 2025 client that could be asked a question
 * by a 2026-07-28 backend, a 2026-07-28 request whose routing headers are not plainly what the SDK
 * accepts (it answers with its own error and status).
 */
export function createForwarder(options: ForwarderOptions): Forward {
  const { aggregator, metrics, logger } = options;
  /** Requests of 2025 backends relayed to clients, by the id the client was given. */
  const relayedRequests = new Map<string, { session: Server | unknown; client: Client; id: string | number }>();
  /** Forwarded calls of 2025 sessions in flight, so the client's cancellation reaches them. */
  const inflight = new Map<unknown, Map<string | number, (reason: string) => void>>();
  let sequence = 0;
  /** The tool's `x-mcp-header` declarations: the arguments a 2026-07-28 request of it mirrors in `Mcp-Param-*` headers. */
  const declarationsOf = async (name: string) => mirroredTools(await aggregator.listTools()).get(name);

  /** A client's answer to a relayed request, or its cancellation of a forwarded call. */
  const fromClient = async (request: ForwardRequest): Promise<Response | undefined> => {
    const { message, session } = request;
    if (isResponse(message)) {
      const pending = relayedRequests.get(String(message.id));
      if (!pending || pending.session !== session) return undefined;
      relayedRequests.delete(String(message.id));
      await pending.client.transport?.send({ ...message, id: pending.id });
      return new Response(null, { status: 202 });
    }
    if (isNotification(message) && message.method === 'notifications/cancelled' && session) {
      const requestId = (message.params as { requestId?: string | number } | undefined)?.requestId;
      const cancel = requestId === undefined ? undefined : inflight.get(session)?.get(requestId);
      if (!cancel) return undefined;
      cancel(String((message.params as { reason?: unknown }).reason ?? 'cancelled by the client'));
      return new Response(null, { status: 202 });
    }
    return undefined;
  };

  return async (request) => {
    const { message, era, session, headers } = request;
    if (!isRequest(message)) return fromClient(request);
    if (message.method !== 'tools/call' || !acceptsBoth(headers.get('accept'))) return undefined;
    const params = message.params as
      { name?: unknown; arguments?: unknown; _meta?: Record<string, unknown> } | undefined;
    if (
      typeof params?.name !== 'string' ||
      (params.arguments !== undefined && (typeof params.arguments !== 'object' || params.arguments === null))
    )
      return undefined;
    const router = session ? options.sessionOf(session) : aggregator;
    if (!router) return undefined;
    const routing = router.routeTool(params.name);
    const route = routing instanceof Promise ? await routing : routing;
    const target = route?.backend.config.target;
    if (!route || !target || (target.transport === 'http' && target.auth)) return undefined;
    // A 2025 client's call goes to a 2026-07-28 backend as a 2026-07-28 request, as the session path
    // sends it, when the backend cannot answer with a question (the client declared no way to answer
    // one) and needs no `Mcp-Param-*` headers the client did not send.
    const wire = route.backend.prior?.kind;
    const capabilities = session ? ((session as Server).getClientCapabilities() ?? {}) : {};
    const crossing = era === 'legacy' && wire === 'modern';
    if (wire !== era && !crossing) return undefined;
    if (era === 'modern' && !plainRouting(headers, params.name, params._meta, route.backend.revision)) return undefined;
    // The tool's `Mcp-Param-*` declarations: a 2026-07-28 call carries those headers on as the client sent
    // them (the layer checked them against the arguments). Looked up by name, since going through every
    // header of the request would build the whole header list, a measurable part of the hop.
    const mirrored = era === 'modern' && wire === 'modern' ? await declarationsOf(params.name) : undefined;
    if (
      crossing &&
      (capabilities.elicitation ||
        capabilities.sampling ||
        capabilities.roots ||
        (target.transport === 'http' && (await declarationsOf(params.name)) !== undefined))
    )
      return undefined;

    const name = params.name;
    const started = performance.now();
    let outcome: ToolOutcome = 'error';
    const run = (): Promise<Response> => {
      // One signal for the call: the client leaving, its cancellation, or REQUEST_TIMEOUT_MS.
      const stop = new AbortController();
      const signal = stop.signal;
      let limited = false;
      const timer = setTimeout(() => {
        limited = true;
        stop.abort();
      }, options.toolTimeoutMs);
      const leave = () => stop.abort(request.signal.reason);
      if (request.signal.aborted) leave();
      else request.signal.addEventListener('abort', leave, { once: true });
      const stream = new EventRelay();
      let cancelBackend: ((reason: string) => void) | undefined;
      const calls = session ? (inflight.get(session) ?? inflight.set(session, new Map()).get(session)!) : undefined;
      // The client's `notifications/cancelled`: the backend is told, and the call gets no answer (as the specification asks).
      let cancelled = false;
      calls?.set(message.id, (reason) => {
        cancelled = true;
        cancelBackend?.(reason);
        stop.abort();
      });
      const relayedHere: string[] = [];
      const call = async (): Promise<Final> => {
        try {
          const answer = await router.forward(
            route.backend,
            'tools/call',
            (client) => {
              const transport = client.transport;
              const http = transport instanceof StreamableHTTPClientTransport ? transport : undefined;
              // A connection shared with the gateway's own requests (a 2025 session, a stdio process; without a
              // client session, shared with every client) takes ids of the gateway's.
              const id = http && wire === 'modern' ? message.id : `fwd-${++sequence}`;
              // The session's `logging/setLevel` goes along, as a 2026-07-28 request names its level itself.
              const level = 'logLevel' in router ? router.logLevel() : undefined;
              const envelope = crossing
                ? {
                    _meta: {
                      ...(level ? { [LOG_LEVEL_META_KEY]: level } : {}),
                      ...params._meta,
                      [PROTOCOL_VERSION_META_KEY]: client.getNegotiatedProtocolVersion(),
                      [CLIENT_CAPABILITIES_META_KEY]: capabilities,
                    },
                  }
                : {};
              const outgoing = { ...message, id, params: { ...params, name: route.name, ...envelope } } as JSONRPCRequest;
              // Over HTTP a 2026-07-28 request ends with its connection; otherwise the backend is told.
              if (!http || wire === 'legacy') {
                cancelBackend = (reason) =>
                  void client
                    .notification({ method: 'notifications/cancelled', params: { requestId: id, reason } })
                    .catch(() => {});
              }
              const onMessage = (relayedMessage: JSONRPCMessage) => {
                if (isRequest(relayedMessage)) {
                  // Asked of the client that caused it, under an id of the gateway's; its answer is sent back under the backend's.
                  const asked = `fwd-ask-${++sequence}`;
                  relayedRequests.set(asked, { session, client, id: relayedMessage.id });
                  relayedHere.push(asked);
                  stream.push({ ...relayedMessage, id: asked });
                } else {
                  stream.push(relayedMessage);
                }
              };
              const timeoutMs = route.backend.config.timeoutMs;
              if (!http) {
                if (!(transport instanceof StdioClientTransport)) throw new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${route.backend.name}" is not connected`);
                return StdioCalls.of(transport, route.backend.name, !session).call(outgoing, signal, onMessage, timeoutMs);
              }
              const httpHeaders: Record<string, string> = {
                ...(target.transport === 'http' ? target.headers : {}),
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
              };
              const version = client.getNegotiatedProtocolVersion();
              if (version) httpHeaders['mcp-protocol-version'] = version;
              if (http.sessionId) httpHeaders['mcp-session-id'] = http.sessionId;
              if (wire === 'modern') {
                if (mirrored) Object.assign(httpHeaders, sentParamHeaders(mirrored, headers));
                httpHeaders['mcp-method'] = 'tools/call';
                httpHeaders['mcp-name'] = route.name;
              }
              const url = target.transport === 'http' ? target.url : new URL('http://invalid');
              return post(url, httpHeaders, JSON.stringify(outgoing), id, signal, onMessage, timeoutMs, route.backend.name);
            },
            { signal },
          );
          const reply = shape(answer.message, message.id, era, !session, name, options.serverInfo);
          outcome = outcomeOf(reply);
          return { reply, status: 200 };
        } catch (error) {
          if (cancelled) {
            outcome = 'cancelled';
            return { status: 200 };
          }
          if (limited && !request.signal.aborted) {
            outcome = 'timeout';
            cancelBackend?.(`timed out after ${options.toolTimeoutMs} ms`);
            logger.warn({ tool: name, timeoutMs: options.toolTimeoutMs }, 'tool call timed out');
            const result: CallToolResult = {
              isError: true,
              content: [{ type: 'text', text: `Tool ${name} timed out after ${options.toolTimeoutMs} ms` }],
            };
            return { reply: { jsonrpc: '2.0', id: message.id, result: ownResult(result, era, options.serverInfo) }, status: 200 };
          }
          // A 2025 request without a session cannot be asked anything, as on the session path.
          if (era === 'legacy' && !session && (error as { code?: number }).code === ProtocolErrorCode.MissingRequiredClientCapability) {
            return { reply: { jsonrpc: '2.0', id: message.id, result: needsSession(name) }, status: 200 };
          }
          outcome = signal.aborted
            ? 'cancelled'
            : (error as { code?: number }).code === AggregateErrorCode.BackendTimeout
              ? 'timeout'
              : 'error';
          const wire = toWireError(error);
          // A status the backend chose for its error (a 2026-07-28 header mismatch is a 400) stays. Without
          // one (stdio), a 2026-07-28 error is answered as the SDK answers a handler's: 200, but a missing
          // client capability (-32021) 400, as the revision asks.
          const status =
            (error as { httpStatus?: number }).httpStatus ??
            (era === 'modern' && wire.code === ProtocolErrorCode.MissingRequiredClientCapability ? 400 : 200);
          return {
            reply: {
              jsonrpc: '2.0',
              id: message.id,
              error: {
                code: wire.code,
                message: wire.message,
                ...(wire.data === undefined ? {} : { data: wire.data }),
              },
            },
            status,
          };
        } finally {
          clearTimeout(timer);
          request.signal.removeEventListener('abort', leave);
          calls?.delete(message.id);
          if (calls?.size === 0) inflight.delete(session);
          for (const asked of relayedHere) relayedRequests.delete(asked);
          metrics.toolCalls.inc({ tool: name, outcome });
          metrics.toolDuration.observe({ tool: name, outcome }, (performance.now() - started) / 1000);
        }
      };
      const answer = (final: Final) => stream.finish(final.reply, final.status);
      let settled: Promise<Response | undefined>;
      if (options.tracing) {
        // The tool's span covers the call until the backend's last message, as on the session path.
        let final!: Final;
        const traced = async (): Promise<ToolResult> => {
          final = await call();
          if (!final.reply) throw new Error('cancelled by the client');
          if ('error' in final.reply) throw new ProtocolError(final.reply.error.code, final.reply.error.message);
          return (final.reply as unknown as { result: ToolResult }).result;
        };
        settled = options.tracing.instrumentTool(name, traced, params._meta).then(
          () => answer(final),
          () => answer(final),
        );
      } else settled = call().then(answer);
      // The whole answer when the backend sent only its result; the stream as soon as it sent more.
      return Promise.race([settled, stream.streaming]).then((response) => response ?? stream.streaming);
    };
    return run();
  };
}

/*
 * The kind of a message by its members alone: a relay passes messages on and the receiver
 * validates them (the SDK's guards parse each against its schema, a large part of a hop's cost).
 */
type Message = Record<string, unknown>;
const isRequest = (message: JSONRPCMessage): message is JSONRPCRequest =>
  typeof (message as Message).method === 'string' && 'id' in message;
const isNotification = (message: JSONRPCMessage): message is JSONRPCNotification =>
  typeof (message as Message).method === 'string' && !('id' in message);
const isResponse = (message: JSONRPCMessage): message is JSONRPCResponse =>
  !('method' in message) && 'id' in message && ('result' in message || 'error' in message);

/** The last message of a forwarded call toward the client, and the HTTP status it goes with. */
interface Final {
  /** None for a call the client cancelled. */
  reply?: JSONRPCMessage;
  status: number;
}

type ToolResult = Awaited<ReturnType<Parameters<Tracing['instrumentTool']>[1]>>;

/** The backend's final message as this client gets it: its own id, the backend's hop removed (as on the session path). */
/** A result of the gateway's own, as a 2026-07-28 client must get it (complete, naming who answered). */
function ownResult(result: CallToolResult, era: 'modern' | 'legacy', serverInfo: () => Implementation): CallToolResult {
  return era === 'modern' ? { ...result, resultType: 'complete', _meta: { ...result._meta, [SERVER_INFO_META_KEY]: serverInfo() } } : result;
}

function shape(
  answer: JSONRPCMessage,
  id: string | number,
  era: 'modern' | 'legacy',
  sessionless: boolean,
  tool: string,
  serverInfo: () => Implementation,
): JSONRPCMessage {
  if (!('result' in answer)) return { ...answer, id } as JSONRPCMessage;
  if (era === 'legacy' && isInputRequiredResult(answer.result))
    return { jsonrpc: '2.0', id, result: sessionless ? needsSession(tool) : cannotAnswer(tool) } as JSONRPCMessage;
  const result = relayed(answer.result, era === 'modern') as { _meta?: Record<string, unknown> };
  if (era === 'modern') result._meta = { ...result._meta, [SERVER_INFO_META_KEY]: serverInfo() };
  return { jsonrpc: '2.0', id, result } as JSONRPCMessage;
}

/** A 2025 session that declared no way to answer a question (elicitation, sampling, roots) got one anyway. */
function cannotAnswer(tool: string): CallToolResult {
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `Tool ${tool} needs input from the user, and this client declared no capability to give it (elicitation, sampling or roots)`,
      },
    ],
  };
}

function outcomeOf(reply: JSONRPCMessage): ToolOutcome {
  if (!('result' in reply)) return 'error';
  const result = reply.result as { isError?: boolean };
  return isInputRequiredResult(result) ? 'input_required' : result.isError ? 'error' : 'success';
}

/**
 * Whether the routing headers of a 2026-07-28 `tools/call` are what the SDK would accept as they
 * are: `MCP-Protocol-Version` and the body naming the revision the gateway speaks with the backend
 * (one the gateway's SDK serves and the backend understands), `Mcp-Method` and `Mcp-Name` present
 * and saying what the body says, the name in its plain form. Anything else (a header missing or
 * mismatched, a Base64-encoded name, another revision) takes the SDK's path, which answers it with
 * the error and the HTTP status the revision asks for. No client capability is required of a call,
 * and the `Mcp-Param-*` headers were checked before (the layer's `checkRequest`).
 */
function plainRouting(
  headers: Headers,
  name: string,
  meta: Record<string, unknown> | undefined,
  revision: string | undefined,
): boolean {
  const version = headers.get('mcp-protocol-version');
  return (
    version === revision &&
    meta?.[PROTOCOL_VERSION_META_KEY] === version &&
    headers.get('mcp-method') === 'tools/call' &&
    headers.get('mcp-name') === name &&
    !name.startsWith('=?base64?')
  );
}

function acceptsBoth(accept: string | null): boolean {
  return accept !== null && accept.includes('application/json') && accept.includes('text/event-stream');
}

/**
 * The answer toward the client: one JSON response when the backend sent only its result, an SSE
 * stream as soon as it sent anything before it (progress, log lines, requests), so those reach
 * the client while the call runs.
 */
class EventRelay {
  private controller?: ReadableStreamDefaultController<Uint8Array>;
  private opened?: (response: Response) => void;
  private readonly encoder = new TextEncoder();
  /** Resolves with the streaming response once the first message before the result arrives. */
  readonly streaming = new Promise<Response>((resolve) => (this.opened = resolve));

  push(message: JSONRPCMessage): void {
    if (!this.controller) {
      const body = new ReadableStream<Uint8Array>({ start: (controller) => void (this.controller = controller) });
      this.opened?.(
        new Response(body, {
          status: 200,
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        }),
      );
    }
    try {
      this.controller!.enqueue(this.encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`));
    } catch {
      // the client left: nothing to send to
    }
  }

  /** The final message: the whole answer, or (streaming already) the stream's last event; undefined then. */
  finish(message: JSONRPCMessage | undefined, status: number): Response | undefined {
    // A cancelled call's stream ends without an answer.
    if (!message && !this.controller) return new Response('', { status, headers: { 'content-type': 'text/event-stream' } });
    if (!this.controller)
      return new Response(JSON.stringify(message), { status, headers: { 'content-type': 'application/json' } });
    if (message) this.push(message);
    try {
      this.controller.close();
    } catch {
      // the client left: nothing to send to
    }
    return undefined;
  }
}

interface Answer {
  message: JSONRPCMessage;
  status: number;
}

/**
 * POSTs one request to the backend and reads its answer, JSON or an SSE stream, until the
 * response with `id`; messages before it go to `onMessage`. A JSON-RPC error the backend answered
 * is thrown as a ProtocolError (a working backend, for the breaker); a 2025 session it no longer
 * knows, as the HTTP error the SDK would raise (so the session is re-opened and the call sent once
 * more); a connection failure, as it is (the backend is unavailable). A kept-alive connection the
 * backend closed as the request went out (it ends before any answer, ECONNRESET) is not a failure of
 * the backend: the request goes once more on a new connection, as Node's documentation advises for
 * `request.reusedSocket` and as nginx does with its upstream keepalive.
 */
function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  id: string | number,
  signal: AbortSignal,
  onMessage: (message: JSONRPCMessage) => void,
  timeoutMs: number,
  backend: string,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    let settled = false;
    const timer = setTimeout(
      () =>
        fail(
          new ProtocolError(
            AggregateErrorCode.BackendTimeout,
            `Backend "${backend}" did not answer tools/call within ${timeoutMs} ms`,
            { backend, timeoutMs },
          ),
        ),
      timeoutMs,
    );
    // The abort ends the request itself (one listener for the call), instead of `http.request`'s
    // `signal` option, which ties the request's stream to it with listeners of its own on each call.
    const aborted = () => fail(abortError(signal));
    const finish = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      if ('error' in answer.message) {
        const { code, message, data } = answer.message.error;
        reject(Object.assign(new ProtocolError(code, message, data), { httpStatus: answer.status }));
      } else resolve(answer);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      outgoing?.destroy();
      reject(error);
    };
    let outgoing: ClientRequest | undefined;
    const attempt = (mayRetry: boolean) => {
      let answered = false;
      const sent = send({
        ...requestTarget(url),
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: secure ? agents.https : agents.http,
      });
      outgoing = sent;
      sent.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && !answered && !settled && sent.reusedSocket && error.code === 'ECONNRESET') attempt(false);
        else fail(error);
      });
      sent.on('response', (response: IncomingMessage) => {
        answered = true;
        read(response);
      });
      sent.end(body);
    };
    const read = (response: IncomingMessage) => {
      const type = response.headers['content-type'] ?? '';
      const status = response.statusCode ?? 0;
      response.setEncoding('utf8');
      let text = '';
      if (status >= 200 && status < 300 && type.startsWith('text/event-stream')) {
        response.on('data', (chunk: string) => {
          text += chunk;
          let end: number;
          while ((end = eventEnd(text)) >= 0) {
            const event = text.slice(0, end);
            text = text.slice(end).replace(/^\r?\n\r?\n/, '');
            const data = event
              .split(/\r?\n/)
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
              .join('\n');
            if (data === '') continue;
            let parsed: JSONRPCMessage;
            try {
              parsed = JSON.parse(data) as JSONRPCMessage;
            } catch {
              fail(
                new ProtocolError(
                  AggregateErrorCode.BackendUnavailable,
                  `Backend "${backend}" sent an event that is not JSON`,
                  { backend },
                ),
              );
              return;
            }
            if (isResponse(parsed) && parsed.id === id) finish({ message: parsed, status });
            else if (!settled) onMessage(parsed);
          }
        });
      } else {
        response.on('data', (chunk: string) => (text += chunk));
      }
      response.on('end', () => {
        if (settled) return;
        if (type.startsWith('application/json')) {
          try {
            const parsed = JSON.parse(text) as JSONRPCMessage;
            if (
              isResponse(parsed) &&
              (parsed.id === id ||
                ('error' in parsed && parsed.id === null && status >= 400 && !sessionRefusal(status, text)))
            ) {
              return finish({ message: { ...parsed, id } as JSONRPCMessage, status });
            }
          } catch {
            // not JSON-RPC: reported below as the HTTP answer it is
          }
        }
        fail(
          new SdkHttpError(
            SdkErrorCode.SendFailed,
            `Error POSTing to endpoint (HTTP ${status}): ${text.slice(0, 200)}`,
            { status, text },
          ),
        );
      });
      response.on('error', fail);
      response.on('close', () => {
        if (!settled)
          fail(
            new ProtocolError(
              AggregateErrorCode.BackendUnavailable,
              `Backend "${backend}" closed the stream before answering`,
              { backend },
            ),
          );
      });
    };
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    attempt(true);
  });
}

/** What a forwarded call that was aborted fails with: the signal's reason when it is an error. */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('The call was cancelled'), { name: 'AbortError' });
}

/** A 404, or a 400 naming the session: left to the SDK's error (the session is re-opened), not passed to the client. */
function sessionRefusal(status: number, text: string): boolean {
  return status === 404 || (status === 400 && /session|not initiali[sz]ed/i.test(text));
}

/** Where the first complete SSE event of `text` ends (before its blank line), or -1. */
function eventEnd(text: string): number {
  const lf = text.indexOf('\n\n');
  const crlf = text.indexOf('\r\n\r\n');
  if (lf < 0) return crlf;
  if (crlf < 0) return lf;
  return Math.min(lf, crlf);
}

/**
 * Forwarded calls on one stdio backend's connection: the messages of the process that belong to
 * them (their responses, by the gateway's ids; progress, by the client's token; while one is in
 * flight, the backend's requests and log lines, to the newest, as on the session path) are taken
 * out of what the connection's SDK client reads. A process that exits fails the calls in flight.
 */
class StdioCalls {
  private static readonly byTransport = new WeakMap<StdioClientTransport, StdioCalls>();
  private readonly calls = new Map<string | number, { token?: unknown; onMessage: (message: JSONRPCMessage) => void; settle: (message?: JSONRPCMessage, error?: unknown) => void }>();

  /** `shared`: the connection serves every client (not one client session's). */
  static of(transport: StdioClientTransport, backend: string, shared: boolean): StdioCalls {
    let calls = StdioCalls.byTransport.get(transport);
    if (!calls) StdioCalls.byTransport.set(transport, (calls = new StdioCalls(transport, backend, shared)));
    return calls;
  }

  private constructor(
    private readonly transport: StdioClientTransport,
    private readonly backend: string,
    private readonly shared: boolean,
  ) {
    const deliver = transport.onmessage;
    const closed = transport.onclose;
    transport.onmessage = (message: JSONRPCMessage) => {
      if (this.calls.size > 0 && this.take(message)) return;
      deliver?.(message);
    };
    transport.onclose = () => {
      for (const call of this.calls.values()) call.settle(undefined, new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${backend}" exited while a call was in flight`, { backend }));
      closed?.();
    };
  }

  /** Whether the message belongs to a forwarded call (and was handed to it). */
  private take(message: JSONRPCMessage): boolean {
    if (isResponse(message)) {
      const call = message.id === undefined ? undefined : this.calls.get(message.id);
      call?.settle(message);
      return call !== undefined;
    }
    if (isNotification(message) && message.method === 'notifications/progress') {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      for (const call of this.calls.values()) {
        if (call.token !== undefined && call.token === token) {
          call.onMessage(message);
          return true;
        }
      }
      return false;
    }
    if (isNotification(message) && message.method === 'notifications/message' && this.shared) {
      // On a connection of every client a line is passed on only when it can belong to one call
      // alone; while several run it could be any one's, and reaches none (as on the session path).
      if (this.calls.size === 1) [...this.calls.values()][0]!.onMessage(message);
      return true;
    }
    if (isRequest(message) || (isNotification(message) && message.method === 'notifications/message')) {
      const newest = [...this.calls.values()].at(-1);
      newest?.onMessage(message);
      return newest !== undefined;
    }
    return false;
  }

  call(request: JSONRPCRequest, signal: AbortSignal, onMessage: (message: JSONRPCMessage) => void, timeoutMs: number): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(
        () => settle(undefined, new ProtocolError(AggregateErrorCode.BackendTimeout, `Backend "${this.backend}" did not answer tools/call within ${timeoutMs} ms`, { backend: this.backend, timeoutMs })),
        timeoutMs,
      );
      const aborted = () => settle(undefined, abortError(signal));
      const settle = (message?: JSONRPCMessage, error?: unknown) => {
        if (!this.calls.delete(request.id)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        if (message && 'error' in message) reject(new ProtocolError(message.error.code, message.error.message, message.error.data));
        else if (message) resolve({ message, status: 200 });
        else reject(error);
      };
      this.calls.set(request.id, { token: (request.params?._meta as { progressToken?: unknown } | undefined)?.progressToken, onMessage, settle });
      signal.addEventListener('abort', aborted, { once: true });
      this.transport.send(request).catch((error: unknown) => settle(undefined, error));
    });
  }
}
