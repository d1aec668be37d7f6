import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Aggregator, AggregatorSession, ChangedKind } from '../aggregate/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, ToolOutcome } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { PackageInfo } from '../package-info.js';
import { toWireError } from './errors.js';
import { paginate } from './pagination.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface GatewayServerOptions {
  aggregator: Aggregator;
  info: PackageInfo;
  logger: Logger;
  metrics: Metrics;
  pageSize: number;
  /**
   * Stateful: each downstream session gets its own backend sessions, so what a backend sends back
   * (sampling, elicitation, roots, logging, resource updates) reaches exactly this client.
   * Stateless: one request, no session; calls use the shared backend sessions.
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
 * Downstream servers alive now, so a backend's list_changed reaches every client. The lists are
 * shared (one catalog), so every client is told.
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
      const send = kind === 'tools' ? server.sendToolListChanged() : kind === 'resources' ? server.sendResourceListChanged() : server.sendPromptListChanged();
      void send.catch(() => {});
    }
  }
}

/**
 * One downstream MCP server (per session or per stateless request) in front of the aggregator.
 * Built on the SDK's low-level `Server`, so lists, calls and errors pass through unchanged
 * instead of being re-declared as gateway tools.
 */
export function createGatewayServer(options: GatewayServerOptions, live: LiveServers): Server {
  const { aggregator, info, logger, metrics, pageSize, stateful } = options;
  const sole = aggregator.soleBackend();
  const transparent = sole !== undefined && sole.prefix === '' && sole.capabilities !== undefined;
  const capabilities = transparent ? pick(sole.capabilities!) : stateful ? FULL : { ...FULL, resources: { listChanged: true } };
  const server = new Server(transparent && sole.serverInfo ? sole.serverInfo : { name: info.name, version: info.version }, {
    capabilities,
    ...(transparent && sole.instructions ? { instructions: sole.instructions } : {}),
  });

  // Requests of this client being served right now, newest last, with the backend serving each.
  // A backend's request or log line is sent on the stream of the call that caused it.
  const inflight = new Map<Extra, string | undefined>();
  const related = (backend: string): Extra | undefined => {
    let any: Extra | undefined;
    for (const [extra, owner] of inflight) {
      if (extra.signal.aborted) continue;
      if (owner === backend) any = extra;
      else any ??= extra;
    }
    return any;
  };

  let session: AggregatorSession | undefined;
  const routes = () => {
    if (!stateful) return aggregator;
    session ??= aggregator.openSession({
      clientCapabilities: server.getClientCapabilities(),
      handlers: {
        createMessage: (params, { signal, backend }) =>
          (related(backend)?.sendRequest ?? server.request.bind(server))({ method: 'sampling/createMessage', params }, CreateMessageResultSchema, { signal, timeout: options.clientRequestTimeoutMs }),
        elicit: (params, { signal, backend }) =>
          (related(backend)?.sendRequest ?? server.request.bind(server))({ method: 'elicitation/create', params }, ElicitResultSchema, { signal, timeout: options.clientRequestTimeoutMs }),
        listRoots: (params, { signal, backend }) =>
          (related(backend)?.sendRequest ?? server.request.bind(server))({ method: 'roots/list', ...(params ? { params } : {}) }, ListRootsResultSchema, { signal, timeout: options.clientRequestTimeoutMs }),
        loggingMessage: (params, backend) => {
          if (!capabilities.logging) return;
          const notification = { method: 'notifications/message' as const, params };
          void (related(backend)?.sendNotification(notification) ?? server.notification(notification)).catch(() => {});
        },
        resourceUpdated: (params) => void server.sendResourceUpdated(params).catch(() => {}),
      },
    });
    return session;
  };

  /** Runs a handler with the request marked in flight, turning errors into what the backend said. */
  const handle = async <T>(extra: Extra, backend: string | undefined, run: () => Promise<T>): Promise<T> => {
    inflight.set(extra, backend);
    try {
      return await run();
    } catch (error) {
      throw toWireError(error);
    } finally {
      inflight.delete(extra);
    }
  };

  if (capabilities.tools) {
    server.setRequestHandler(ListToolsRequestSchema, (request, extra) =>
      handle(extra, undefined, async () => {
        const { page, nextCursor } = paginate(await aggregator.listTools(), request.params?.cursor, pageSize);
        return { tools: page, ...(nextCursor ? { nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const { name, arguments: args, _meta } = request.params;
      const { progressToken, ...meta } = _meta ?? {};
      const started = performance.now();
      let outcome: ToolOutcome = 'error';
      // REQUEST_TIMEOUT_MS bounds a call as in any server of this project: the backend is told to
      // cancel, and the client gets a tool error. A backend's own `timeoutMs` is a JSON-RPC timeout.
      const limit = new AbortController();
      const timer = setTimeout(() => limit.abort(), options.toolTimeoutMs);
      const signal = AbortSignal.any([extra.signal, limit.signal]);
      const progressSent: Promise<void>[] = [];
      const call = () =>
        handle(extra, backendOf(aggregator, name), async () => {
          const result = await routes().callTool(name, args, {
            signal,
            // Progress keeps the client's own token: the backend's token is the gateway's.
            onprogress:
              progressToken === undefined
                ? undefined
                : (progress) => void progressSent.push(extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => {})),
            ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}),
          });
          // Progress sent before the result must reach the client before it.
          await Promise.all(progressSent);
          return result;
        });
      const run = async (): Promise<CallToolResult> => {
        try {
          const result = await call();
          outcome = result.isError ? 'error' : 'success';
          return result;
        } catch (error) {
          if (limit.signal.aborted && !extra.signal.aborted) {
            outcome = 'timeout';
            logger.warn({ tool: name, timeoutMs: options.toolTimeoutMs }, 'tool call timed out');
            return { isError: true, content: [{ type: 'text', text: `Tool ${name} timed out after ${options.toolTimeoutMs} ms` }] };
          }
          outcome = extra.signal.aborted ? 'cancelled' : (error as { code?: number }).code === ErrorCode.RequestTimeout ? 'timeout' : 'error';
          throw error;
        } finally {
          clearTimeout(timer);
          metrics.toolCalls.inc({ tool: name, outcome });
          metrics.toolDuration.observe({ tool: name, outcome }, (performance.now() - started) / 1000);
        }
      };
      return options.tracing ? options.tracing.instrumentTool(name, run) : run();
    });
  }

  if (capabilities.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, (request, extra) =>
      handle(extra, undefined, async () => {
        const { page, nextCursor } = paginate(await aggregator.listResources(), request.params?.cursor, pageSize);
        return { resources: page, ...(nextCursor ? { nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (request, extra) =>
      handle(extra, undefined, async () => {
        const { page, nextCursor } = paginate(await aggregator.listResourceTemplates(), request.params?.cursor, pageSize);
        return { resourceTemplates: page, ...(nextCursor ? { nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
      handle(extra, undefined, () => routes().readResource(request.params.uri, { signal: extra.signal })),
    );
    if (capabilities.resources.subscribe && stateful) {
      server.setRequestHandler(SubscribeRequestSchema, (request, extra) =>
        handle(extra, undefined, async () => (await (routes() as AggregatorSession).subscribeResource(request.params.uri), {})),
      );
      server.setRequestHandler(UnsubscribeRequestSchema, (request, extra) =>
        handle(extra, undefined, async () => (await (routes() as AggregatorSession).unsubscribeResource(request.params.uri), {})),
      );
    }
  }

  if (capabilities.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, (request, extra) =>
      handle(extra, undefined, async () => {
        const { page, nextCursor } = paginate(await aggregator.listPrompts(), request.params?.cursor, pageSize);
        return { prompts: page, ...(nextCursor ? { nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
      handle(extra, undefined, () => routes().getPrompt(request.params.name, request.params.arguments, { signal: extra.signal })),
    );
  }

  if (capabilities.completions) {
    server.setRequestHandler(CompleteRequestSchema, (request, extra) => handle(extra, undefined, () => routes().complete(request.params, { signal: extra.signal })));
  }

  if (capabilities.logging) {
    server.setRequestHandler(SetLevelRequestSchema, (request, extra) =>
      handle(extra, undefined, async () => {
        if (stateful) await (routes() as AggregatorSession).setLoggingLevel(request.params.level);
        return {};
      }),
    );
  }

  server.setNotificationHandler(RootsListChangedNotificationSchema, () => void session?.sendRootsListChanged());

  server.oninitialized = () => live.add(server, capabilities);
  server.onclose = () => {
    live.delete(server);
    // Ending the downstream session ends its backend sessions (and their stdio processes).
    if (session) live.track(session.close().catch((error: unknown) => logger.warn({ err: error }, 'closing backend sessions failed')));
  };
  return server;
}

/** Only what the gateway knows how to forward, so it never claims a feature it would drop. */
function pick(from: ServerCapabilities): ServerCapabilities {
  return {
    ...(from.tools ? { tools: { listChanged: true } } : {}),
    ...(from.resources ? { resources: { ...(from.resources.subscribe ? { subscribe: true } : {}), listChanged: true } } : {}),
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
