import {
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type Client,
  type ClientCapabilities,
  type CompleteRequest,
  type CompleteResult,
  type CreateMessageRequest,
  type CreateMessageResult,
  type CreateMessageResultWithTools,
  type ElicitRequest,
  type ElicitResult,
  type GetPromptResult,
  type ListRootsRequest,
  type ListRootsResult,
  type LoggingLevel,
  type LoggingMessageNotification,
  type McpSubscription,
  type Progress,
  type ReadResourceResult,
  type RequestOptions,
  type ResourceUpdatedNotification,
} from '@modelcontextprotocol/client';
import { AggregateErrorCode, type Backend } from './backend.js';
import type { Catalog, ChangedKind } from './catalog.js';
import { connectBackend, isSessionLost, type AggregateLogger, type BackendClient } from './connection.js';

export interface CallOptions {
  signal?: AbortSignal;
  /** Progress of the backend, passed on with the caller's own progress token. */
  onprogress?: (progress: Progress) => void;
  /** Overrides the backend's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Request metadata passed on to the backend (e.g. trace context, log level); never a progress token. */
  _meta?: Record<string, unknown>;
  /**
   * A 2026-07-28 caller that answers `input_required` itself: such a result of a 2026-07-28 backend
   * is returned as it is (its `requestState` untouched) instead of being answered here.
   */
  allowInputRequired?: boolean;
  /** The retry of an `input_required` round: the caller's answers and the backend's `requestState`, passed back. */
  inputResponses?: Record<string, unknown>;
  requestState?: string;
  /** HTTP headers for this request (the caller's `Mcp-Param-*` mirrors of tool arguments). */
  headers?: Record<string, string>;
  /** The backend's log lines while serving this request (on a shared connection: see `Backend.deliverLog`). */
  onlog?: (params: LoggingMessageNotification['params']) => void;
}

/** Where requests a backend sends back (sampling, elicitation, roots) and its notifications go. */
export interface SessionHandlers {
  createMessage?(params: CreateMessageRequest['params'], options: { signal: AbortSignal; backend: string }): Promise<CreateMessageResult | CreateMessageResultWithTools>;
  elicit?(params: ElicitRequest['params'], options: { signal: AbortSignal; backend: string }): Promise<ElicitResult>;
  listRoots?(params: ListRootsRequest['params'], options: { signal: AbortSignal; backend: string }): Promise<ListRootsResult>;
  loggingMessage?(params: LoggingMessageNotification['params'], backend: string): void;
  resourceUpdated?(params: ResourceUpdatedNotification['params'], backend: string): void;
}

export interface SessionOptions {
  /** The downstream client's capabilities: backends are told only about these, and only those with a handler. */
  clientCapabilities?: ClientCapabilities;
  handlers?: SessionHandlers;
}

/** The retry fields of an `input_required` round, for a backend that speaks 2026-07-28 (a 2025 one has no such thing). */
function retryFields(client: Client, options: CallOptions): Record<string, unknown> {
  if (client.getProtocolEra() !== 'modern') return {};
  return {
    ...(options.inputResponses ? { inputResponses: options.inputResponses } : {}),
    ...(options.requestState !== undefined ? { requestState: options.requestState } : {}),
  };
}

/** Calls routed to the backend that serves them, over the connections `clientFor` hands out. */
export class Router {
  constructor(
    protected readonly catalog: Catalog,
    private readonly clientFor: (backend: Backend) => Promise<Client>,
    /** A connection the backend no longer knows (it restarted); returns true when a fresh one may be tried. */
    private readonly onSessionLost: (backend: Backend) => Promise<boolean> = async () => false,
  ) {}

  protected async send<T>(backend: Backend, operation: string, request: (client: Client) => Promise<T>, { signal, onlog }: Pick<CallOptions, 'signal' | 'onlog'> = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (backend.breaker.state === 'open') throw backend.unavailable();
      const client = await this.clientFor(backend);
      try {
        return await backend.run(operation, request, { client, signal, onlog });
      } catch (error) {
        // The request never reached the restarted backend, so sending it once more on a new session is safe.
        if (attempt === 0 && isSessionLost(error) && (await this.onSessionLost(backend))) continue;
        throw error;
      }
    }
  }

  /** The log level the caller set for its session, sent with each request to a 2026-07-28 backend. */
  protected sessionLevel(): LoggingLevel | undefined {
    return undefined;
  }

  /** The request's `_meta` toward this backend: the caller's, plus the session's log level for a 2026-07-28 one. */
  private meta(client: Client, options: CallOptions): { _meta?: Record<string, unknown> } {
    const level = client.getProtocolEra() === 'modern' ? this.sessionLevel() : undefined;
    const meta = level && options._meta?.[LOG_LEVEL_META_KEY] === undefined ? { ...options._meta, [LOG_LEVEL_META_KEY]: level } : options._meta;
    return meta ? { _meta: meta } : {};
  }

  private requestOptions(backend: Backend, options: CallOptions): RequestOptions {
    return {
      signal: options.signal,
      timeout: options.timeoutMs ?? backend.config.timeoutMs,
      ...(options.allowInputRequired ? { allowInputRequired: true } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    };
  }

  /**
   * A tool call, its result passed on as the backend sent it: a relay does not re-validate
   * structured output (the caller's own SDK does), so this is the SDK's `request`, not `callTool`.
   */
  async callTool(name: string, args: Record<string, unknown> | undefined, options: CallOptions = {}): Promise<CallToolResult> {
    const route = await this.catalog.route('tools', name);
    if (!route) throw unknown('tool', name);
    const { backend } = route;
    const requestOptions: RequestOptions = {
      ...this.requestOptions(backend, options),
      onprogress: options.onprogress,
      // A call that keeps reporting progress is alive; the limit is for silence.
      resetTimeoutOnProgress: options.onprogress !== undefined,
    };
    return this.send(
      backend,
      'tools/call',
      (client) => {
        const params = { name: route.name, ...(args ? { arguments: args } : {}), ...this.meta(client, options), ...retryFields(client, options) };
        return client.request({ method: 'tools/call', params }, requestOptions);
      },
      options,
    );
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    const backend = await this.catalog.routeResource(uri);
    if (!backend) throw unknown('resource', uri);
    return this.send(
      backend,
      'resources/read',
      (client) => client.request({ method: 'resources/read', params: { uri, ...this.meta(client, options), ...retryFields(client, options) } }, this.requestOptions(backend, options)),
      options,
    );
  }

  async getPrompt(name: string, args: Record<string, string> | undefined, options: CallOptions = {}): Promise<GetPromptResult> {
    const route = await this.catalog.route('prompts', name);
    if (!route) throw unknown('prompt', name);
    const { backend } = route;
    return this.send(
      backend,
      'prompts/get',
      (client) =>
        client.request(
          { method: 'prompts/get', params: { name: route.name, ...(args ? { arguments: args } : {}), ...this.meta(client, options), ...retryFields(client, options) } },
          this.requestOptions(backend, options),
        ),
      options,
    );
  }

  /** Completion of a prompt argument (namespaced prompt name) or of a resource template variable. */
  async complete(params: CompleteRequest['params'], options: CallOptions = {}): Promise<CompleteResult> {
    let backend: Backend | undefined;
    let ref = params.ref;
    if (ref.type === 'ref/prompt') {
      const route = await this.catalog.route('prompts', ref.name);
      if (!route) throw unknown('prompt', ref.name);
      backend = route.backend;
      ref = { ...ref, name: route.name };
    } else {
      backend = await this.catalog.routeTemplate(ref.uri);
      if (!backend) throw unknown('resource template', ref.uri);
    }
    const target = backend;
    if (!target.capabilities?.completions) return { completion: { values: [], hasMore: false } };
    return this.send(target, 'completion/complete', (client) => client.complete({ ...params, ref }, { signal: options.signal, timeout: options.timeoutMs ?? target.config.timeoutMs }), options);
  }
}

function unknown(kind: string, name: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown ${kind} "${name}": no backend serves it (list ${kind === 'resource' || kind === 'resource template' ? 'resources' : `${kind}s`} to see what is available)`);
}

/**
 * Backend sessions that belong to one downstream session. A backend request for sampling,
 * elicitation or roots, its logging and its resource updates then have exactly one client to go
 * to. Connections open lazily (first call that needs a backend), are capped per backend
 * (`maxSessions`) and end with the session: a stdio backend process lives exactly as long.
 */
export class AggregatorSession extends Router {
  private readonly connections = new Map<string, Promise<BackendClient>>();
  private readonly subscriptions = new Map<string, Set<string>>();
  /** A 2026-07-28 backend's resource subscriptions: one `subscriptions/listen` stream per resource. */
  private readonly streams = new Map<string, McpSubscription>();
  private level?: LoggingLevel;
  private closed = false;

  constructor(
    catalog: Catalog,
    private readonly options: SessionOptions & {
      clientInfo: { name: string; version: string };
      logger: AggregateLogger;
      backends: Backend[];
      listChanged?: (backend: Backend, kind: ChangedKind) => void;
    },
  ) {
    super(
      catalog,
      async (backend) => (await this.connection(backend)).client,
      async (backend) => {
        await this.drop(backend);
        return true;
      },
    );
  }

  /** What backends are told this client can do: its own capabilities, limited to what is forwarded. */
  private capabilities(): ClientCapabilities {
    const from = this.options.clientCapabilities ?? {};
    const handlers = this.options.handlers ?? {};
    return {
      ...(from.sampling && handlers.createMessage ? { sampling: from.sampling } : {}),
      ...(from.elicitation && handlers.elicit ? { elicitation: from.elicitation } : {}),
      ...(from.roots && handlers.listRoots ? { roots: from.roots } : {}),
    };
  }

  private connection(backend: Backend): Promise<BackendClient> {
    if (this.closed) return Promise.reject(new ProtocolError(AggregateErrorCode.BackendUnavailable, 'Session closed'));
    const existing = this.connections.get(backend.name);
    if (existing) return existing;
    if (backend.sessionCount >= backend.config.maxSessions) {
      return Promise.reject(new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${backend.name}" has reached its limit of ${backend.config.maxSessions} sessions ("maxSessions" in the servers file); retry later`));
    }
    backend.sessionCount++;
    const opening = this.open(backend).catch((error: unknown) => {
      backend.sessionCount--;
      this.connections.delete(backend.name);
      // Not reaching the backend is the backend's failure: the breaker must see it.
      backend.breaker.failure();
      throw error instanceof ProtocolError ? error : new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${backend.name}" is unavailable: ${(error as Error).message}`, { backend: backend.name });
    });
    this.connections.set(backend.name, opening);
    return opening;
  }

  private async open(backend: Backend): Promise<BackendClient> {
    const handlers = this.options.handlers ?? {};
    const name = backend.name;
    const capabilities = this.capabilities();
    let connection: BackendClient | undefined;
    connection = await connectBackend(backend.config, {
      clientInfo: this.options.clientInfo,
      capabilities,
      logger: this.options.logger,
      timeoutMs: backend.config.timeoutMs,
      // A stdio process that exited: the next call starts a fresh one.
      onClosed: () => void this.drop(backend, connection),
      // The era this backend speaks is known from its shared connection: no probe per session.
      prior: backend.prior,
      setup: (client) => {
        // A 2025 backend asks with a request of its own; a 2026-07-28 one answers `input_required`,
        // which the SDK fulfils through these same handlers: either way the request reaches this client.
        if (capabilities.sampling) client.setRequestHandler('sampling/createMessage', (request, ctx) => handlers.createMessage!(request.params, { signal: ctx.mcpReq.signal, backend: name }));
        if (capabilities.elicitation) client.setRequestHandler('elicitation/create', (request, ctx) => handlers.elicit!(request.params, { signal: ctx.mcpReq.signal, backend: name }));
        if (capabilities.roots) client.setRequestHandler('roots/list', (request, ctx) => handlers.listRoots!(request.params, { signal: ctx.mcpReq.signal, backend: name }));
        // A backend announces list changes on the session where they happened (often this one).
        client.setNotificationHandler('notifications/tools/list_changed', () => this.options.listChanged?.(backend, 'tools'));
        client.setNotificationHandler('notifications/resources/list_changed', () => this.options.listChanged?.(backend, 'resources'));
        client.setNotificationHandler('notifications/prompts/list_changed', () => this.options.listChanged?.(backend, 'prompts'));
        client.setNotificationHandler('notifications/message', (notification) => handlers.loggingMessage?.(notification.params, name));
        client.setNotificationHandler('notifications/resources/updated', (notification) => handlers.resourceUpdated?.(notification.params, name));
      },
    });
    if (this.closed) {
      await connection.close();
      throw new ProtocolError(AggregateErrorCode.BackendUnavailable, 'Session closed');
    }
    const client = connection.client;
    // A 2026-07-28 backend takes the level with each request (`_meta`), a 2025 one once per session.
    if (this.level && client.getProtocolEra() === 'legacy' && client.getServerCapabilities()?.logging) await client.setLoggingLevel(this.level);
    for (const uri of this.subscriptions.get(name) ?? []) await this.subscribeOn(client, name, uri);
    return connection;
  }

  private async drop(backend: Backend, only?: BackendClient): Promise<void> {
    const pending = this.connections.get(backend.name);
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    if (only && connection !== only) return;
    if (this.connections.get(backend.name) !== pending) return;
    this.connections.delete(backend.name);
    backend.sessionCount--;
    await connection?.close();
  }

  /** `resources/subscribe` on a 2025 connection, a `subscriptions/listen` stream for the resource on a 2026-07-28 one. */
  private async subscribeOn(client: Client, backend: string, uri: string): Promise<void> {
    if (client.getProtocolEra() !== 'modern') {
      await client.subscribeResource({ uri });
      return;
    }
    const key = `${backend}\0${uri}`;
    await this.streams.get(key)?.close();
    this.streams.set(key, await client.listen({ resourceSubscriptions: [uri] }));
  }

  async subscribeResource(uri: string): Promise<void> {
    const backend = await this.catalog.routeResource(uri);
    if (!backend) throw unknown('resource', uri);
    await this.send(backend, 'resources/subscribe', (client) => this.subscribeOn(client, backend.name, uri));
    const set = this.subscriptions.get(backend.name) ?? new Set<string>();
    set.add(uri);
    this.subscriptions.set(backend.name, set);
  }

  async unsubscribeResource(uri: string): Promise<void> {
    const backend = await this.catalog.routeResource(uri);
    if (!backend) throw unknown('resource', uri);
    this.subscriptions.get(backend.name)?.delete(uri);
    const key = `${backend.name}\0${uri}`;
    const stream = this.streams.get(key);
    this.streams.delete(key);
    await this.send(backend, 'resources/unsubscribe', async (client) => {
      if (client.getProtocolEra() === 'modern') await stream?.close();
      else await client.unsubscribeResource({ uri });
    });
  }

  /**
   * Applies at once to every backend that logs (a connection is opened where there is none yet,
   * so a backend's log lines of this session follow the level from the start), and to those
   * opened later in this session.
   */
  async setLoggingLevel(level: LoggingLevel): Promise<void> {
    this.level = level;
    const logging = this.options.backends.filter((backend) => backend.ready && backend.capabilities?.logging);
    await Promise.all(
      logging.map(async (backend) => {
        const existing = this.connections.get(backend.name);
        const connection = await (existing ?? this.connection(backend)).catch(() => undefined);
        // A connection opened just now already got the level.
        if (existing && connection && connection.client.getProtocolEra() === 'legacy') await connection.client.setLoggingLevel(level).catch(() => {});
      }),
    );
  }

  protected override sessionLevel(): LoggingLevel | undefined {
    return this.level;
  }

  /** The client's roots changed: tell every backend session that may have asked for them. */
  async sendRootsListChanged(): Promise<void> {
    await Promise.all(
      [...this.connections.values()].map(async (pending) => {
        const connection = await pending.catch(() => undefined);
        await connection?.client.sendRootsListChanged().catch(() => {});
      }),
    );
  }

  /** Backend sessions currently open for this session. */
  get openBackends(): string[] {
    return [...this.connections.keys()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.connections.entries()];
    this.connections.clear();
    await Promise.all(
      pending.map(async ([name, opening]) => {
        // A connection that failed to open was already uncounted when it failed.
        const connection = await opening.catch(() => undefined);
        if (!connection) return;
        const backend = this.options.backends.find((candidate) => candidate.name === name);
        if (backend) backend.sessionCount--;
        await connection.close();
      }),
    );
  }
}
