import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolResultSchema,
  CancelledNotificationSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
  type CompleteRequest,
  type CompleteResult,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type GetPromptResult,
  type ListRootsRequest,
  type ListRootsResult,
  type LoggingLevel,
  type LoggingMessageNotification,
  type Progress,
  type ReadResourceResult,
  type ResourceUpdatedNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { AggregateErrorCode, type Backend } from './backend.js';
import type { Catalog, ChangedKind } from './catalog.js';
import { connectBackend, isSessionLost, type AggregateLogger, type BackendClient } from './connection.js';

export interface CallOptions {
  signal?: AbortSignal;
  /** Progress of the backend, passed on with the caller's own progress token. */
  onprogress?: (progress: Progress) => void;
  /** Overrides the backend's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Request metadata passed on to the backend (e.g. trace context); never a progress token. */
  _meta?: Record<string, unknown>;
}

/** Where requests a backend sends back (sampling, elicitation, roots) and its notifications go. */
export interface SessionHandlers {
  createMessage?(params: CreateMessageRequest['params'], options: { signal: AbortSignal; backend: string }): Promise<CreateMessageResult>;
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

/** Calls routed to the backend that serves them, over the connections `clientFor` hands out. */
export class Router {
  constructor(
    protected readonly catalog: Catalog,
    private readonly clientFor: (backend: Backend) => Promise<Client>,
    /** A connection the backend no longer knows (it restarted); returns true when a fresh one may be tried. */
    private readonly onSessionLost: (backend: Backend) => Promise<boolean> = async () => false,
  ) {}

  protected async send<T>(backend: Backend, operation: string, request: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (backend.breaker.state === 'open') throw backend.unavailable();
      const client = await this.clientFor(backend);
      try {
        return await backend.run(operation, request, { client, signal });
      } catch (error) {
        // The request never reached the restarted backend, so sending it once more on a new session is safe.
        if (attempt === 0 && isSessionLost(error) && (await this.onSessionLost(backend))) continue;
        throw error;
      }
    }
  }

  async callTool(name: string, args: Record<string, unknown> | undefined, options: CallOptions = {}): Promise<CallToolResult> {
    const route = await this.catalog.route('tools', name);
    if (!route) throw unknown('tool', name);
    const { backend } = route;
    const requestOptions: RequestOptions = {
      signal: options.signal,
      timeout: options.timeoutMs ?? backend.config.timeoutMs,
      onprogress: options.onprogress,
      // A call that keeps reporting progress is alive; the limit is for silence.
      resetTimeoutOnProgress: options.onprogress !== undefined,
    };
    const params = { name: route.name, arguments: args, ...(options._meta ? { _meta: options._meta } : {}) };
    return this.send(backend, 'tools/call', (client) => client.callTool(params, CallToolResultSchema, requestOptions) as Promise<CallToolResult>, options.signal);
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    const backend = await this.catalog.routeResource(uri);
    if (!backend) throw unknown('resource', uri);
    return this.send(backend, 'resources/read', (client) => client.readResource({ uri }, { signal: options.signal, timeout: options.timeoutMs ?? backend.config.timeoutMs }), options.signal);
  }

  async getPrompt(name: string, args: Record<string, string> | undefined, options: CallOptions = {}): Promise<GetPromptResult> {
    const route = await this.catalog.route('prompts', name);
    if (!route) throw unknown('prompt', name);
    const { backend } = route;
    return this.send(backend, 'prompts/get', (client) => client.getPrompt({ name: route.name, arguments: args }, { signal: options.signal, timeout: options.timeoutMs ?? backend.config.timeoutMs }), options.signal);
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
    return this.send(target, 'completion/complete', (client) => client.complete({ ...params, ref }, { signal: options.signal, timeout: options.timeoutMs ?? target.config.timeoutMs }), options.signal);
  }
}

function unknown(kind: string, name: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Unknown ${kind} "${name}": no backend serves it (list ${kind === 'resource' || kind === 'resource template' ? 'resources' : `${kind}s`} to see what is available)`);
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
    if (this.closed) return Promise.reject(new McpError(ErrorCode.ConnectionClosed, 'Session closed'));
    const existing = this.connections.get(backend.name);
    if (existing) return existing;
    if (backend.sessionCount >= backend.config.maxSessions) {
      return Promise.reject(new McpError(AggregateErrorCode.BackendUnavailable, `Backend "${backend.name}" has reached its limit of ${backend.config.maxSessions} sessions ("maxSessions" in the servers file); retry later`));
    }
    backend.sessionCount++;
    const opening = this.open(backend).catch((error: unknown) => {
      backend.sessionCount--;
      this.connections.delete(backend.name);
      // Not reaching the backend is the backend's failure: the breaker must see it.
      backend.breaker.failure();
      throw error instanceof McpError ? error : new McpError(AggregateErrorCode.BackendUnavailable, `Backend "${backend.name}" is unavailable: ${(error as Error).message}`, { backend: backend.name });
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
      setup: (client) => {
        // The SDK drops a cancellation whose request id is 0 (a falsy check), and a backend's first
        // request to us has id 0: requests forwarded to the client are cancelled here, by any id.
        const forwarded = new Map<string | number, AbortController>();
        const forward = <T>(extra: { requestId: string | number; signal: AbortSignal }, send: (signal: AbortSignal) => Promise<T>): Promise<T> => {
          const controller = new AbortController();
          forwarded.set(extra.requestId, controller);
          extra.signal.addEventListener('abort', () => controller.abort(extra.signal.reason), { once: true });
          return send(controller.signal).finally(() => forwarded.delete(extra.requestId));
        };
        client.setNotificationHandler(CancelledNotificationSchema, (notification) => {
          const id = notification.params.requestId;
          if (id !== undefined) forwarded.get(id)?.abort(notification.params.reason);
        });
        if (capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => forward(extra, (signal) => handlers.createMessage!(request.params, { signal, backend: name })));
        if (capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, (request, extra) => forward(extra, (signal) => handlers.elicit!(request.params, { signal, backend: name })));
        if (capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, (request, extra) => forward(extra, (signal) => handlers.listRoots!(request.params, { signal, backend: name })));
        // A backend announces list changes on the session where they happened (often this one).
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.options.listChanged?.(backend, 'tools'));
        client.setNotificationHandler(ResourceListChangedNotificationSchema, () => this.options.listChanged?.(backend, 'resources'));
        client.setNotificationHandler(PromptListChangedNotificationSchema, () => this.options.listChanged?.(backend, 'prompts'));
        client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => handlers.loggingMessage?.(notification.params, name));
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => handlers.resourceUpdated?.(notification.params, name));
      },
    });
    if (this.closed) {
      await connection.close();
      throw new McpError(ErrorCode.ConnectionClosed, 'Session closed');
    }
    const client = connection.client;
    if (this.level && client.getServerCapabilities()?.logging) await client.setLoggingLevel(this.level);
    for (const uri of this.subscriptions.get(name) ?? []) await client.subscribeResource({ uri });
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

  async subscribeResource(uri: string): Promise<void> {
    const backend = await this.catalog.routeResource(uri);
    if (!backend) throw unknown('resource', uri);
    await this.send(backend, 'resources/subscribe', (client) => client.subscribeResource({ uri }));
    const set = this.subscriptions.get(backend.name) ?? new Set<string>();
    set.add(uri);
    this.subscriptions.set(backend.name, set);
  }

  async unsubscribeResource(uri: string): Promise<void> {
    const backend = await this.catalog.routeResource(uri);
    if (!backend) throw unknown('resource', uri);
    this.subscriptions.get(backend.name)?.delete(uri);
    await this.send(backend, 'resources/unsubscribe', (client) => client.unsubscribeResource({ uri }));
  }

  /** Applies to the backend sessions open now and to those opened later in this session. */
  async setLoggingLevel(level: LoggingLevel): Promise<void> {
    this.level = level;
    await Promise.all(
      [...this.connections.values()].map(async (pending) => {
        const connection = await pending.catch(() => undefined);
        if (connection && connection.client.getServerCapabilities()?.logging) await connection.client.setLoggingLevel(level).catch(() => {});
      }),
    );
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
