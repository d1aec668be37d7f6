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
  type Tool,
} from '@modelcontextprotocol/client';
import type { Backend } from './backend.js';
import { AggregateErrorCode } from './outcome.js';
import type { Catalog, ChangedKind, Route } from './catalog.js';
import { connectBackend, isSessionLost, type AggregateLogger, type BackendClient } from './connection.js';
import { asCaller } from './token-exchange.js';

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
  /** The backend's log lines while serving this request (on a shared connection: see `Backend.deliverLog`). */
  onlog?: (params: LoggingMessageNotification['params']) => void;
}

/** Where requests a backend sends back (sampling, elicitation, roots) and its notifications go. */
export interface SessionHandlers {
  createMessage?(
    params: CreateMessageRequest['params'],
    options: { signal: AbortSignal; backend: string },
  ): Promise<CreateMessageResult | CreateMessageResultWithTools>;
  elicit?(params: ElicitRequest['params'], options: { signal: AbortSignal; backend: string }): Promise<ElicitResult>;
  listRoots?(
    params: ListRootsRequest['params'],
    options: { signal: AbortSignal; backend: string },
  ): Promise<ListRootsResult>;
  loggingMessage?(params: LoggingMessageNotification['params'], backend: string): void;
  resourceUpdated?(params: ResourceUpdatedNotification['params'], backend: string): void;
}

export interface SessionOptions {
  /** The downstream client's capabilities: backends are told only about these, and only those with a handler. */
  clientCapabilities?: ClientCapabilities;
  handlers?: SessionHandlers;
}

/**
 * The tool as the SDK's `callTool` sees it on a relay: the input schema the backend listed (for its
 * `Mcp-Param-*` headers), never an output schema. Given on every call, also for a tool not listed, so
 * that the SDK neither checks a result against a listing it cached nor lists again on a header mismatch.
 */
function toolForRelay(route: Route): Tool {
  const listed = route.listed as Tool | undefined;
  return { name: route.name, inputSchema: listed?.inputSchema ?? { type: 'object' } };
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
    /** The connection to a backend; a ready one is returned as it is, so a request waits for nothing. */
    private readonly clientFor: (backend: Backend) => Client | Promise<Client>,
    /** A connection the backend no longer knows (it restarted); returns true when a fresh one may be tried. */
    private readonly onSessionLost: (backend: Backend, client: Client) => Promise<boolean> = async () => false,
  ) {}

  protected async send<T>(
    backend: Backend,
    operation: string,
    request: (client: Client) => Promise<T>,
    { signal, onlog }: Pick<CallOptions, 'signal' | 'onlog'> = {},
  ): Promise<T> {
    const done = this.using(backend);
    try {
      for (let attempt = 0; ; attempt++) {
        if (backend.breaker.state === 'open') throw backend.unavailable();
        // A backend with token exchange gets this request with the token exchanged for the calling client.
        const scope = asCaller(backend.config);
        const asClient = scope instanceof Promise ? await scope : scope;
        const connecting = this.clientFor(backend);
        const client = connecting instanceof Promise ? await connecting : connecting;
        try {
          return await asClient(() => backend.run(operation, request, { client, signal, onlog }));
        } catch (error) {
          // The request never reached the restarted backend, so sending it once more on a new session is safe.
          if (attempt === 0 && isSessionLost(error) && (await this.onSessionLost(backend, client))) continue;
          throw error;
        }
      }
    } finally {
      done();
    }
  }

  /** Marks a request to the backend as started; the returned function marks it finished. */
  protected using(_backend: Backend): () => void {
    return () => {};
  }

  /** The log level the caller set for its session (`logging/setLevel` of a 2025 session); undefined when none was set. */
  logLevel(): LoggingLevel | undefined {
    return this.sessionLevel();
  }

  /** The log level the caller set for its session, sent with each request to a 2026-07-28 backend. */
  protected sessionLevel(): LoggingLevel | undefined {
    return undefined;
  }

  /** The request's `_meta` toward this backend: the caller's, plus the session's log level for a 2026-07-28 one. */
  private meta(client: Client, options: CallOptions): { _meta?: Record<string, unknown> } {
    const level = client.getProtocolEra() === 'modern' ? this.sessionLevel() : undefined;
    const meta =
      level && options._meta?.[LOG_LEVEL_META_KEY] === undefined
        ? { ...options._meta, [LOG_LEVEL_META_KEY]: level }
        : options._meta;
    return meta ? { _meta: meta } : {};
  }

  private requestOptions(backend: Backend, options: CallOptions): RequestOptions {
    return {
      signal: options.signal,
      timeout: options.timeoutMs ?? backend.config.timeoutMs,
      ...(options.allowInputRequired ? { allowInputRequired: true } : {}),
    };
  }

  /**
   * A tool call, its result passed on as the backend sent it. The SDK's `callTool` is told of the
   * tool through `toolDefinition`: its input schema, so that a call to a 2026-07-28 backend over HTTP
   * carries the `Mcp-Param-*` headers the tool declares (whatever era the caller speaks), and no
   * output schema, since a relay does not re-validate structured output (the caller's own SDK does).
   */
  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options: CallOptions = {},
  ): Promise<CallToolResult> {
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
        const params = {
          name: route.name,
          ...(args ? { arguments: args } : {}),
          ...this.meta(client, options),
          ...retryFields(client, options),
        };
        return client.callTool(params, { ...requestOptions, toolDefinition: toolForRelay(route) });
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
      (client) =>
        client.request(
          { method: 'resources/read', params: { uri, ...this.meta(client, options), ...retryFields(client, options) } },
          this.requestOptions(backend, options),
        ),
      options,
    );
  }

  async getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    const route = await this.catalog.route('prompts', name);
    if (!route) throw unknown('prompt', name);
    const { backend } = route;
    return this.send(
      backend,
      'prompts/get',
      (client) =>
        client.request(
          {
            method: 'prompts/get',
            params: {
              name: route.name,
              ...(args ? { arguments: args } : {}),
              ...this.meta(client, options),
              ...retryFields(client, options),
            },
          },
          this.requestOptions(backend, options),
        ),
      options,
    );
  }

  /** The backend serving a namespaced tool, and the backend's own name for it; undefined when none serves it. */
  routeTool(name: string): Route | undefined | Promise<Route | undefined> {
    return this.catalog.route('tools', name);
  }

  /**
   * A request sent by the caller itself on this router's connection to `backend` (a message
   * forwarded as it came), with what `callTool` has around it: the breaker, the usage that keeps
   * a session's connection from idling out, and a lost 2025 session re-opened and tried once more.
   */
  forward<T>(
    backend: Backend,
    operation: string,
    request: (client: Client) => Promise<T>,
    options: Pick<CallOptions, 'signal'> = {},
  ): Promise<T> {
    return this.send(backend, operation, request, options);
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
    return this.send(
      target,
      'completion/complete',
      (client) =>
        client.complete(
          { ...params, ref },
          { signal: options.signal, timeout: options.timeoutMs ?? target.config.timeoutMs },
        ),
      options,
    );
  }
}

function unknown(kind: string, name: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Unknown ${kind} "${name}": no backend serves it (list ${kind === 'resource' || kind === 'resource template' ? 'resources' : `${kind}s`} to see what is available)`,
  );
}

/**
 * Backend sessions that belong to one downstream session. A backend request for sampling,
 * elicitation or roots, its logging and its resource updates then have exactly one client to go
 * to. Connections open lazily (first call that needs a backend), are capped per backend
 * (`maxSessions`), close when unused for the idle time (`expireIdle`) or when a new session needs
 * the slot of the least recently used idle one, and end with the session: a stdio backend process
 * lives no longer than that. The next call after an idle close opens a fresh connection, with the
 * session's log level and resource subscriptions.
 */
export class AggregatorSession extends Router {
  private readonly connections = new Map<string, Promise<BackendClient>>();
  /** The connections that finished opening (only these can be closed for idleness or eviction). */
  private readonly opened = new Map<string, BackendClient>();
  /** Per backend: requests in flight through this session and when the last one started or ended. */
  private readonly usage = new Map<string, { inflight: number; lastUsed: number }>();
  private readonly subscriptions = new Map<string, Set<string>>();
  /** A 2026-07-28 backend's resource subscriptions: one `subscriptions/listen` stream per resource. */
  private readonly streams = new Map<string, McpSubscription>();
  /** Connections being closed (idle, evicted, lost), so `close()` returns only once they are gone. */
  private readonly closing = new Set<Promise<void>>();
  private level?: LoggingLevel;
  private closed = false;
  /** Aborted by `close()`: connections still opening end at once (their stdio children too). */
  private readonly ending = new AbortController();

  constructor(
    catalog: Catalog,
    private readonly options: SessionOptions & {
      clientInfo: { name: string; version: string };
      logger: AggregateLogger;
      backends: Backend[];
      listChanged?: (backend: Backend, kind: ChangedKind) => void;
      /** Every open session of the aggregator: a backend at its limit takes the slot of the least recently used idle one. */
      peers: Set<AggregatorSession>;
      now?: () => number;
    },
  ) {
    super(
      catalog,
      async (backend) => (await this.connection(backend)).client,
      async (backend, client) => {
        await this.drop(backend, (connection) => connection.client === client);
        return true;
      },
    );
    options.peers.add(this);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  protected override using(backend: Backend): () => void {
    const usage = this.usage.get(backend.name) ?? { inflight: 0, lastUsed: 0 };
    this.usage.set(backend.name, usage);
    usage.inflight++;
    usage.lastUsed = this.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      usage.inflight--;
      usage.lastUsed = this.now();
    };
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
    if (backend.sessionCount >= backend.config.maxSessions && !this.evictFor(backend)) {
      return Promise.reject(
        new ProtocolError(
          AggregateErrorCode.BackendUnavailable,
          `Backend "${backend.name}" has reached its limit of ${backend.config.maxSessions} sessions, all busy with requests in progress ("maxSessions" of "${backend.name}" in the servers file); retry later or raise "maxSessions"`,
          { backend: backend.name, maxSessions: backend.config.maxSessions },
        ),
      );
    }
    backend.sessionCount++;
    const opening = this.open(backend).then(
      (connection) => {
        if (this.connections.get(backend.name) === opening) this.opened.set(backend.name, connection);
        return connection;
      },
      (error: unknown) => {
        backend.sessionCount--;
        if (this.connections.get(backend.name) === opening) this.connections.delete(backend.name);
        // Not reaching the backend is the backend's failure (unless the session ended meanwhile): the breaker must see it.
        if (!this.closed) backend.breaker.failure();
        throw error instanceof ProtocolError
          ? error
          : new ProtocolError(
              AggregateErrorCode.BackendUnavailable,
              `Backend "${backend.name}" is unavailable: ${(error as Error).message}`,
              { backend: backend.name },
            );
      },
    );
    this.connections.set(backend.name, opening);
    return opening;
  }

  /**
   * The backend is at its limit: the session whose connection to it was used least recently and
   * has no request in flight gives its slot up. False when every slot is busy.
   */
  private evictFor(backend: Backend): boolean {
    let victim: AggregatorSession | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const peer of this.options.peers) {
      if (peer === this) continue;
      const lastUsed = peer.idleSince(backend.name);
      if (lastUsed !== undefined && lastUsed < oldest) {
        oldest = lastUsed;
        victim = peer;
      }
    }
    if (!victim) return false;
    this.options.logger.info(
      { backend: backend.name, maxSessions: backend.config.maxSessions, idleMs: this.now() - oldest },
      'backend at its session limit: closed the least recently used idle session',
    );
    return victim.release(backend.name);
  }

  /** When this session's open connection to the backend was last used, if it has no request in flight. */
  private idleSince(name: string): number | undefined {
    if (!this.opened.has(name)) return undefined;
    const usage = this.usage.get(name);
    if (usage && usage.inflight > 0) return undefined;
    return usage?.lastUsed ?? 0;
  }

  /**
   * Closes the connections unused since `cutoff` (no request in flight, none since). A connection
   * holding resource subscriptions waits for updates, so it is kept while the session lives.
   */
  expireIdle(cutoff: number): void {
    for (const name of [...this.opened.keys()]) {
      const since = this.idleSince(name);
      if (since === undefined || since >= cutoff || (this.subscriptions.get(name)?.size ?? 0) > 0) continue;
      this.options.logger.debug({ backend: name }, 'closing an idle backend session');
      this.release(name);
    }
  }

  /** Gives the slot of an open connection up at once and closes the connection in the background. */
  private release(name: string): boolean {
    const connection = this.opened.get(name);
    const backend = this.options.backends.find((candidate) => candidate.name === name);
    if (!connection || !backend) return false;
    this.forget(backend);
    this.track(connection.close());
    return true;
  }

  /** Forgets this session's connection to the backend (its slot is free again); the caller closes it. */
  private forget(backend: Backend): void {
    this.connections.delete(backend.name);
    this.opened.delete(backend.name);
    backend.sessionCount--;
    for (const key of [...this.streams.keys()]) if (key.startsWith(`${backend.name}\0`)) this.streams.delete(key);
  }

  private track(closing: Promise<void>): void {
    const tracked = closing.catch(() => {});
    this.closing.add(tracked);
    void tracked.finally(() => this.closing.delete(tracked));
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
      signal: this.ending.signal,
      // A stdio process that exited: the next call starts a fresh one.
      onClosed: () => void this.drop(backend, (closed) => closed === connection),
      // The era this backend speaks is known from its shared connection: no probe per session.
      prior: backend.prior,
      setup: (client) => {
        // A 2025 backend asks with a request of its own; a 2026-07-28 one answers `input_required`,
        // which the SDK fulfils through these same handlers: either way the request reaches this client.
        if (capabilities.sampling)
          client.setRequestHandler('sampling/createMessage', (request, ctx) =>
            handlers.createMessage!(request.params, { signal: ctx.mcpReq.signal, backend: name }),
          );
        if (capabilities.elicitation)
          client.setRequestHandler('elicitation/create', (request, ctx) =>
            handlers.elicit!(request.params, { signal: ctx.mcpReq.signal, backend: name }),
          );
        if (capabilities.roots)
          client.setRequestHandler('roots/list', (request, ctx) =>
            handlers.listRoots!(request.params, { signal: ctx.mcpReq.signal, backend: name }),
          );
        // A backend announces list changes on the session where they happened (often this one).
        client.setNotificationHandler('notifications/tools/list_changed', () =>
          this.options.listChanged?.(backend, 'tools'),
        );
        client.setNotificationHandler('notifications/resources/list_changed', () =>
          this.options.listChanged?.(backend, 'resources'),
        );
        client.setNotificationHandler('notifications/prompts/list_changed', () =>
          this.options.listChanged?.(backend, 'prompts'),
        );
        client.setNotificationHandler('notifications/message', (notification) =>
          handlers.loggingMessage?.(notification.params, name),
        );
        client.setNotificationHandler('notifications/resources/updated', (notification) =>
          handlers.resourceUpdated?.(notification.params, name),
        );
      },
    });
    if (this.closed) {
      await connection.close();
      throw new ProtocolError(AggregateErrorCode.BackendUnavailable, 'Session closed');
    }
    const client = connection.client;
    try {
      // A 2026-07-28 backend takes the level with each request (`_meta`), a 2025 one once per session.
      if (this.level && client.getProtocolEra() === 'legacy' && client.getServerCapabilities()?.logging)
        await client.setLoggingLevel(this.level);
      for (const uri of this.subscriptions.get(name) ?? []) await this.subscribeOn(client, name, uri);
    } catch (error) {
      // The caller forgets a connection that failed to open: it must not keep a process running.
      await connection.close();
      throw error;
    }
    if (this.closed) {
      // The session closed while the connection was being set up: close() did not see it open.
      await connection.close();
      throw new ProtocolError(AggregateErrorCode.BackendUnavailable, 'Session closed');
    }
    return connection;
  }

  /** Closes this session's connection to the backend, if it is the one `which` names; the next call opens a fresh one. */
  private async drop(backend: Backend, which: (connection: BackendClient) => boolean): Promise<void> {
    const pending = this.connections.get(backend.name);
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    if (!connection || !which(connection)) return;
    if (this.connections.get(backend.name) !== pending) return;
    this.forget(backend);
    const closing = connection.close();
    this.track(closing);
    await closing;
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
        const done = this.using(backend);
        try {
          const existing = this.connections.get(backend.name);
          const connection = await (existing ?? this.connection(backend)).catch(() => undefined);
          // A connection opened just now already got the level.
          if (existing && connection && connection.client.getProtocolEra() === 'legacy')
            await connection.client.setLoggingLevel(level).catch(() => {});
        } finally {
          done();
        }
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

  /** Ends every backend session of this session; resolves once they are gone (stdio processes ended). */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.ending.abort(new ProtocolError(AggregateErrorCode.BackendUnavailable, 'Session closed'));
      this.options.peers.delete(this);
      const pending = [...this.connections.entries()];
      this.connections.clear();
      this.opened.clear();
      for (const [name, opening] of pending) {
        this.track(
          (async () => {
            // A connection that failed to open was already uncounted when it failed.
            const connection = await opening.catch(() => undefined);
            if (!connection) return;
            const backend = this.options.backends.find((candidate) => candidate.name === name);
            if (backend) backend.sessionCount--;
            await connection.close();
          })(),
        );
      }
    }
    // Connections closing for any reason (idle, evicted, lost) are waited for too.
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}
