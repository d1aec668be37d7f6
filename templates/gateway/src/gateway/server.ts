import {
  CLIENT_CAPABILITIES_META_KEY,
  isInputRequiredResult,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  Server,
  type CallToolResult,
  type InputRequiredResult,
  type LoggingMessageNotification,
  type McpRequestContext,
  type ServerCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { onBehalfOf, type Aggregator, type AggregatorSession, type CallOptions, type ChangedKind, type ListKind } from '../aggregate/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, ToolOutcome } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { PackageInfo } from '../package-info.js';
import { BACKEND_TIMEOUT, toWireError } from './errors.js';
import { paginate } from './pagination.js';
import { heldCallsFor } from './held-calls.js';

export interface GatewayServerOptions {
  aggregator: Aggregator;
  info: PackageInfo;
  logger: Logger;
  metrics: Metrics;
  pageSize: number;
  /**
   * A sessionful 2025 leg (SESSION_MODE=stateful): each 2025 client session gets its own backend
   * sessions, so what a backend sends back (sampling, elicitation, roots, logging, resource
   * updates) reaches exactly this client. Otherwise (and for every 2026-07-28 request) a request
   * is served on its own, over the shared backend connections.
   */
  stateful: boolean;
  /** Limit for a request the gateway sends to the client on a backend's behalf (sampling, elicitation). */
  clientRequestTimeoutMs: number;
  /** Limit for a tool call (REQUEST_TIMEOUT_MS); a slower call ends with a tool error. */
  toolTimeoutMs: number;
  tracing?: Pick<Tracing, 'instrumentTool'>;
}

/** Every capability the gateway can forward; a transparent gateway shows the backend's own instead. */
const FULL: ServerCapabilities = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  logging: {},
  completions: {},
};

/**
 * 2025 client sessions alive now, so a backend's list_changed reaches each of them. The lists
 * are shared (one catalog), so every session is told. (A 2026-07-28 client learns of changes on
 * its `subscriptions/listen` stream, which the handler serves.)
 */
export class LiveServers {
  private readonly servers = new Map<Server, ServerCapabilities>();
  add(server: Server, capabilities: ServerCapabilities): void {
    this.servers.set(server, capabilities);
  }
  delete(server: Server): void {
    this.servers.delete(server);
  }
  get size(): number {
    return this.servers.size;
  }
  private readonly closing = new Set<Promise<void>>();
  /** Remembers a session's backend sessions being closed, so shutdown can wait for them. */
  track(closing: Promise<void>): void {
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }
  /** Resolves once every backend session of a closed client session is gone (stdio processes ended). */
  async settled(): Promise<void> {
    await Promise.all([...this.closing]);
  }
  notify(kind: ChangedKind): void {
    for (const [server, capabilities] of this.servers) {
      if (!capabilities[kind]?.listChanged) continue;
      const send =
        kind === 'tools'
          ? server.sendToolListChanged()
          : kind === 'resources'
            ? server.sendResourceListChanged()
            : server.sendPromptListChanged();
      void send.catch(() => {});
    }
  }
}

/** The backend sessions of each 2025 client session (SESSION_MODE=stateful), by its server; opened on first use. */
export const backendSessions = new WeakMap<Server, () => AggregatorSession>();

/**
 * One downstream MCP server in front of the aggregator: per 2026-07-28 request, per stateless 2025
 * request, or per 2025 session. Built on the SDK's low-level `Server`, so lists, calls and errors
 * pass through unchanged instead of being re-declared as gateway tools.
 */
export function createGatewayServer(
  options: GatewayServerOptions,
  live: LiveServers,
  request: Pick<McpRequestContext, 'era'>,
): Server {
  const { aggregator, info, logger, metrics, pageSize } = options;
  const modern = request.era === 'modern';
  const stateful = options.stateful && !modern;
  const heldOptions = { aggregator, clientRequestTimeoutMs: options.clientRequestTimeoutMs, logger };
  const sole = aggregator.soleBackend();
  const transparent = sole !== undefined && sole.prefix === '' && sole.capabilities !== undefined;
  const offered = transparent ? pick(sole.capabilities!) : FULL;
  // Subscriptions to single resources need a session (2025), or a `subscriptions/listen` stream
  // (2026-07-28): the backends' updates reach those streams through the bus.
  const capabilities: ServerCapabilities =
    stateful || modern || !offered.resources ? offered : { ...offered, resources: { listChanged: true } };
  const discoverHint = transparent ? sole.discoverHint : undefined;
  const server = new Server(
    transparent && sole.serverInfo ? sole.serverInfo : { name: info.name, version: info.version },
    {
      capabilities,
      ...(transparent && sole.instructions ? { instructions: sole.instructions } : {}),
      // The caching the backend allows for its own discover result, which this one repeats.
      ...(discoverHint && Object.keys(discoverHint).length > 0
        ? { cacheHints: { 'server/discover': discoverHint } }
        : {}),
    },
  );

  // Requests of this client being served right now, newest last, with the backend serving each.
  // A backend's request or log line is sent on the stream of the call that caused it.
  const inflight = new Map<ServerContext, string | undefined>();
  const related = (backend: string): ServerContext | undefined => {
    let any: ServerContext | undefined;
    for (const [ctx, owner] of inflight) {
      if (ctx.mcpReq.signal.aborted) continue;
      if (owner === backend) any = ctx;
      else any ??= ctx;
    }
    return any;
  };

  let session: AggregatorSession | undefined;
  let ended = false;
  const routes = () => {
    if (!stateful) return aggregator;
    // A request still running when the session ended opens no backend connection nobody would close.
    if (ended && !session) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'Session ended');
    const ask = { timeout: options.clientRequestTimeoutMs };
    session ??= aggregator.openSession({
      clientCapabilities: server.getClientCapabilities(),
      handlers: {
        createMessage: (params, { signal, backend }) => {
          const ctx = related(backend);
          return ctx
            ? ctx.mcpReq.send({ method: 'sampling/createMessage', params }, { ...ask, signal })
            : server.createMessage(params, { ...ask, signal });
        },
        elicit: (params, { signal, backend }) => {
          const ctx = related(backend);
          return ctx
            ? ctx.mcpReq.send({ method: 'elicitation/create', params }, { ...ask, signal })
            : server.request({ method: 'elicitation/create', params }, { ...ask, signal });
        },
        listRoots: (params, { signal, backend }) => {
          const ctx = related(backend);
          const rootsRequest = { method: 'roots/list' as const, ...(params ? { params } : {}) };
          return ctx
            ? ctx.mcpReq.send(rootsRequest, { ...ask, signal })
            : server.request(rootsRequest, { ...ask, signal });
        },
        loggingMessage: (params, backend) => {
          if (!capabilities.logging) return;
          const notification: LoggingMessageNotification = { method: 'notifications/message', params };
          void (related(backend)?.mcpReq.notify(notification) ?? server.notification(notification)).catch(() => {});
        },
        resourceUpdated: (params) => void server.sendResourceUpdated(params).catch(() => {}),
      },
    });
    return session;
  };

  // Notifications relayed on a request's stream, sent before its result.
  const relaying = new Map<ServerContext, Promise<void>[]>();
  const relay = (ctx: ServerContext, sent: Promise<void>) => relaying.get(ctx)?.push(sent.catch(() => {}));

  /** Runs a handler with the request marked in flight, turning errors into what the backend said. */
  const handle = async <T>(ctx: ServerContext, backend: string | undefined, run: () => Promise<T>): Promise<T> => {
    inflight.set(ctx, backend);
    const sent: Promise<void>[] = [];
    relaying.set(ctx, sent);
    try {
      // A backend with token exchange gets this client's exchanged token on the requests made for it.
      const result = await onBehalfOf(ctx.http?.authInfo?.token, run);
      await Promise.all(sent);
      return relayed(result, modern);
    } catch (error) {
      throw toWireError(error);
    } finally {
      inflight.delete(ctx);
      relaying.delete(ctx);
    }
  };

  /**
   * What a request carries on to its backend. A backend's `input_required` result comes back as it
   * is: a 2026-07-28 client answers it and retries, and for a 2025 client the SDK asks it with
   * requests of its own and runs the handler again; either way the retry (answers, the backend's
   * `requestState`) goes back to the backend. The client's declared capabilities go along (those of
   * a 2025 session too, which the SDK asks on the backend's behalf), so a backend asks it for
   * input exactly as it would ask it directly.
   */
  const forwarded = (ctx: ServerContext, meta: Record<string, unknown> | undefined): CallOptions => {
    // The SDK lifts a 2026-07-28 request's envelope out of `_meta`: its capabilities and log level
    // go on; its protocol version and client info describe this hop, and the gateway sends its own.
    const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
    const clientCapabilities = modern
      ? envelope[CLIENT_CAPABILITIES_META_KEY]
      : stateful
        ? server.getClientCapabilities()
        : undefined;
    const kept = {
      ...Object.fromEntries(Object.entries(meta ?? {}).filter(([key]) => key !== 'progressToken')),
      ...(clientCapabilities ? { [CLIENT_CAPABILITIES_META_KEY]: clientCapabilities } : {}),
      ...(envelope[LOG_LEVEL_META_KEY] !== undefined ? { [LOG_LEVEL_META_KEY]: envelope[LOG_LEVEL_META_KEY] } : {}),
    };
    // The backend's log lines for this request go back on this request's stream (a 2026-07-28
    // request names its level; a 2025 session gets them through its own backend sessions).
    const onlog =
      modern && capabilities.logging
        ? (params: LoggingMessageNotification['params']) =>
            relay(ctx, ctx.mcpReq.notify({ method: 'notifications/message', params }))
        : undefined;
    const requestState = ctx.mcpReq.requestState<string>();
    return {
      signal: ctx.mcpReq.signal,
      allowInputRequired: true,
      ...(Object.keys(kept).length > 0 ? { _meta: kept } : {}),
      ...(ctx.mcpReq.inputResponses ? { inputResponses: ctx.mcpReq.inputResponses } : {}),
      ...(typeof requestState === 'string' ? { requestState } : {}),
      ...(onlog ? { onlog } : {}),
    };
  };

  /** A page of a merged list, with the caching its backends allow (2026-07-28 clients read it). */
  const listPage = async <T>(kind: ListKind, items: Promise<T[]>, cursor: string | undefined) => {
    const { page, nextCursor } = paginate(await items, cursor, pageSize);
    return { page, ...(nextCursor ? { nextCursor } : {}), ...(modern ? aggregator.cacheHint(kind) : {}) };
  };

  if (capabilities.tools) {
    server.setRequestHandler('tools/list', (request, ctx) =>
      handle(ctx, undefined, async () => {
        const { page, ...rest } = await listPage('tools', aggregator.listTools(), request.params?.cursor);
        return { tools: page, ...rest };
      }),
    );
    server.setRequestHandler('tools/call', (request, ctx) => {
      const { name, arguments: args, _meta } = request.params;
      const progressToken = _meta?.progressToken;
      const started = performance.now();
      let outcome: ToolOutcome = 'error';
      // REQUEST_TIMEOUT_MS bounds a call as in any server of this project: the backend is told to
      // cancel, and the client gets a tool error. A backend's own `timeoutMs` is a JSON-RPC timeout.
      const limit = new AbortController();
      const timer = setTimeout(() => limit.abort(), options.toolTimeoutMs);
      const signal = AbortSignal.any([ctx.mcpReq.signal, limit.signal]);
      const progressSent: Promise<void>[] = [];
      const call = () =>
        handle(ctx, backendOf(aggregator, name), async () => {
          const callOptions: CallOptions = {
            ...forwarded(ctx, _meta),
            signal,
            // Progress keeps the client's own token: the backend's token is the gateway's.
            onprogress:
              progressToken === undefined
                ? undefined
                : (progress) =>
                    void progressSent.push(
                      ctx.mcpReq
                        .notify({ method: 'notifications/progress', params: { ...progress, progressToken } })
                        .catch(() => {}),
                    ),
          };
          // A 2025 backend that asks a 2026-07-28 client for input: held and asked in rounds (held-calls.ts).
          const result =
            (modern ? await heldCallsFor(heldOptions).call(ctx, name, args, callOptions) : undefined) ??
            (await routes().callTool(name, args, callOptions));
          // Progress sent before the result must reach the client before it.
          await Promise.all(progressSent);
          return !modern && !stateful && isInputRequiredResult(result) ? needsSession(name) : result;
        });
      const run = async (): Promise<CallToolResult | InputRequiredResult> => {
        try {
          const result: CallToolResult | InputRequiredResult = await call();
          outcome = isInputRequiredResult(result) ? 'input_required' : result.isError ? 'error' : 'success';
          return result;
        } catch (error) {
          // The backend asks for input only of a client that declared it can give it; a 2025 request
          // without a session declares nothing, and could not be asked anyway.
          if (
            !modern &&
            !stateful &&
            (error as { code?: number }).code === ProtocolErrorCode.MissingRequiredClientCapability
          )
            return needsSession(name);
          if (limit.signal.aborted && !ctx.mcpReq.signal.aborted) {
            outcome = 'timeout';
            logger.warn({ tool: name, timeoutMs: options.toolTimeoutMs }, 'tool call timed out');
            return {
              isError: true,
              content: [{ type: 'text', text: `Tool ${name} timed out after ${options.toolTimeoutMs} ms` }],
            };
          }
          outcome = ctx.mcpReq.signal.aborted
            ? 'cancelled'
            : (error as { code?: number }).code === BACKEND_TIMEOUT
              ? 'timeout'
              : 'error';
          throw error;
        } finally {
          clearTimeout(timer);
          metrics.toolCalls.inc({ tool: name, outcome });
          metrics.toolDuration.observe({ tool: name, outcome }, (performance.now() - started) / 1000);
        }
      };
      return options.tracing ? options.tracing.instrumentTool(name, run, _meta) : run();
    });
  }

  if (capabilities.resources) {
    server.setRequestHandler('resources/list', (request, ctx) =>
      handle(ctx, undefined, async () => {
        const { page, ...rest } = await listPage('resources', aggregator.listResources(), request.params?.cursor);
        return { resources: page, ...rest };
      }),
    );
    server.setRequestHandler('resources/templates/list', (request, ctx) =>
      handle(ctx, undefined, async () => {
        const { page, ...rest } = await listPage(
          'resourceTemplates',
          aggregator.listResourceTemplates(),
          request.params?.cursor,
        );
        return { resourceTemplates: page, ...rest };
      }),
    );
    server.setRequestHandler('resources/read', (request, ctx) =>
      handle(ctx, undefined, () => routes().readResource(request.params.uri, forwarded(ctx, request.params._meta))),
    );
    if (capabilities.resources.subscribe && stateful) {
      server.setRequestHandler('resources/subscribe', (request, ctx) =>
        handle(
          ctx,
          undefined,
          async () => (await (routes() as AggregatorSession).subscribeResource(request.params.uri), {}),
        ),
      );
      server.setRequestHandler('resources/unsubscribe', (request, ctx) =>
        handle(
          ctx,
          undefined,
          async () => (await (routes() as AggregatorSession).unsubscribeResource(request.params.uri), {}),
        ),
      );
    }
  }

  if (capabilities.prompts) {
    server.setRequestHandler('prompts/list', (request, ctx) =>
      handle(ctx, undefined, async () => {
        const { page, ...rest } = await listPage('prompts', aggregator.listPrompts(), request.params?.cursor);
        return { prompts: page, ...rest };
      }),
    );
    server.setRequestHandler('prompts/get', (request, ctx) =>
      handle(ctx, undefined, () =>
        routes().getPrompt(request.params.name, request.params.arguments, forwarded(ctx, request.params._meta)),
      ),
    );
  }

  if (capabilities.completions) {
    server.setRequestHandler('completion/complete', (request, ctx) =>
      handle(ctx, undefined, () => routes().complete(request.params, { signal: ctx.mcpReq.signal })),
    );
  }

  if (capabilities.logging) {
    // A 2026-07-28 client sets the level per request (`_meta`, passed on with it); a 2025 session once.
    server.setRequestHandler('logging/setLevel', (request, ctx) =>
      handle(ctx, undefined, async () => {
        if (stateful) await (routes() as AggregatorSession).setLoggingLevel(request.params.level);
        return {};
      }),
    );
  }

  if (stateful) {
    // The forwarding path (forward.ts) reaches this session's backend sessions through its server.
    backendSessions.set(server, routes as () => AggregatorSession);
    server.setNotificationHandler('notifications/roots/list_changed', () => void session?.sendRootsListChanged());
    server.oninitialized = () => live.add(server, capabilities);
    server.onclose = () => {
      ended = true;
      live.delete(server);
      // Ending the downstream session ends its backend sessions (and their stdio processes).
      if (session)
        live.track(
          session.close().catch((error: unknown) => logger.warn({ err: error }, 'closing backend sessions failed')),
        );
    };
  }
  return server;
}

/**
 * A backend's result as this client gets it: without what describes the backend's own hop (its
 * `serverInfo` in `_meta`; the gateway's SDK speaks for the gateway), and for a 2025 client without
 * the 2026-07-28 cache hints it would not get from the backend directly either.
 */
export function relayed<T>(result: T, modern: boolean): T {
  if (typeof result !== 'object' || result === null) return result;
  const { _meta, ttlMs, cacheScope, ...rest } = result as Record<string, unknown> & { _meta?: Record<string, unknown> };
  const { [SERVER_INFO_META_KEY]: _hop, ...meta } = _meta ?? {};
  return {
    ...rest,
    ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}),
    ...(modern && ttlMs !== undefined ? { ttlMs } : {}),
    ...(modern && cacheScope !== undefined ? { cacheScope } : {}),
  } as T;
}

/** A 2025 request without a session cannot be asked anything: it gets a tool error saying so. */
export function needsSession(tool: string): CallToolResult {
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `Tool ${tool} needs input from the user, which a 2025 client can give only over a session: run the gateway with SESSION_MODE=stateful, or use a 2026-07-28 client`,
      },
    ],
  };
}

/** Only what the gateway knows how to forward, so it never claims a feature it would drop. */
function pick(from: ServerCapabilities): ServerCapabilities {
  return {
    ...(from.tools ? { tools: { listChanged: true } } : {}),
    ...(from.resources
      ? { resources: { ...(from.resources.subscribe ? { subscribe: true } : {}), listChanged: true } }
      : {}),
    ...(from.prompts ? { prompts: { listChanged: true } } : {}),
    ...(from.logging ? { logging: {} } : {}),
    ...(from.completions ? { completions: {} } : {}),
  };
}

/** The backend a namespaced tool lives on, from the names only (for relating its requests); undefined when unclear. */
function backendOf(aggregator: Aggregator, tool: string): string | undefined {
  const separator = tool.indexOf('__');
  const sole = aggregator.soleBackend();
  if (separator < 0) return sole ? aggregator.status()[0]?.name : undefined;
  const prefix = tool.slice(0, separator);
  return aggregator.status().find((status) => status.name === prefix)?.name;
}
