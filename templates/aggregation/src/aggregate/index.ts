import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';
import { Backend, type BackendStatus, type CallEvent } from './backend.js';
import type { BreakerState } from './breaker.js';
import { Catalog, type CacheHint, type ChangedKind, type ListKind } from './catalog.js';
import type { ServersConfig } from './config.js';
import { silentLogger, type AggregateLogger } from './connection.js';
import type { Collision } from './namespace.js';
import { AggregatorSession, Router, type CallOptions, type SessionOptions } from './session.js';

export { type BackendState, type BackendStatus, type CallEvent } from './backend.js';
export { AggregateErrorCode, classify, type CallOutcome } from './outcome.js';
export { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.js';
export { Catalog, LIST_FAILURE_BACKOFF, listAll, plainCalls, type CacheHint, type ChangedKind, type ListKind, type Listing } from './catalog.js';
export { ClientCredentialsToken, TokenEndpointError, withBearerToken, withClientCredentials, type BearerToken } from './client-credentials.js';
export { DEFAULT_MAX_SESSIONS, DEFAULT_TIMEOUT_MS, loadServersConfig, parseServersConfig, ServersConfigError, type ClientCredentials, type ServerConfig, type TokenExchange, type ServersConfig, type ServerTarget } from './config.js';
export { isConnectionFailure, isSessionLost, priorOf, silentLogger, type AggregateLogger } from './connection.js';
export { invalidName, mergeNamespaced, namespaced, SEPARATOR, VALID_NAME, type Collision } from './namespace.js';
export { backoffDelay, isRetryable, sleep, withRetry, type RetryOptions } from './retry.js';
export { AggregatorSession, type CallOptions, type SessionHandlers, type SessionOptions } from './session.js';
export { ExchangedTokens, onBehalfOf, requireUserTokens, TOKEN_EXCHANGE_FAILED } from './token-exchange.js';

export interface AggregatorOptions {
  servers: ServersConfig;
  clientInfo: { name: string; version: string };
  logger?: AggregateLogger;
  /**
   * What clients see of a list changed (a backend's list changed, or a backend came or went):
   * they should list again. Called once per change, after the merged list is compared with the
   * one announced last: a backend saying "changed" without a change (as some do for every new
   * session) is not passed on, and a burst of changes is one call.
   */
  onListChanged?(kind: ChangedKind): void;
  /** How long announcements of a backend wait for more (default 100 ms). */
  listChangedDebounceMs?: number;
  /**
   * A downstream session's connection to a backend (a stdio process, an HTTP session) unused for
   * this long is closed; its next call opens a fresh one (default 5 minutes).
   */
  sessionIdleMs?: number;
  /** A resource a backend lists changed (the shared connections subscribe to every one a backend offers updates of). */
  onResourceUpdated?(uri: string): void;
  /**
   * Whether the shared connections follow the backends' changes (default true): a 2026-07-28
   * backend's `subscriptions/listen` stream for its list changes, and a subscription to every
   * resource a backend offers updates of. A client that lists or calls once and exits has nothing
   * to follow: false spares each backend that stream, a resource listing and its subscriptions.
   */
  followChanges?: boolean;
  /**
   * Capabilities of the shared connections. They serve listing, health and `callTool` of this
   * object, where no particular client could answer a backend's request: keep this empty unless
   * this process itself answers (then register handlers through `openSession`).
   */
  clientCapabilities?: ClientCapabilities;
  /** Consecutive failures that open a backend's breaker (default 5). */
  failureThreshold?: number;
  /** How long a breaker stays open before a probe (default 10 s). */
  cooldownMs?: number;
  /** How often each backend is pinged (default 5 s). */
  healthIntervalMs?: number;
  /** Reconnect backoff of a lost backend: base and cap (defaults 250 ms and 15 s). */
  reconnectBaseDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Every request to a backend, for metrics. */
  onCall?(event: CallEvent): void;
  /** A backend's state or breaker changed, for metrics and logs. */
  onStateChange?(status: BackendStatus, breaker: BreakerState): void;
}

export interface Aggregator {
  /** Namespaced (`<server>__<name>`), every page of every backend, cached until list_changed. */
  listTools(): Promise<Tool[]>;
  callTool(name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult>;
  listResources(): Promise<Resource[]>;
  listResourceTemplates(): Promise<ResourceTemplate[]>;
  readResource(uri: string, options?: CallOptions): Promise<ReadResourceResult>;
  listPrompts(): Promise<Prompt[]>;
  getPrompt(name: string, args?: Record<string, string>, options?: CallOptions): Promise<GetPromptResult>;
  complete: Router['complete'];
  routeTool: Router['routeTool'];
  /** A message forwarded as it came, over the shared connection (see `Router.forward`). */
  forward: Router['forward'];
  /** The caching the merged list may promise (2026-07-28 `ttlMs`, `cacheScope`), from the backends' own hints. */
  cacheHint(kind: ListKind): CacheHint;
  /** The protocol era each connected backend speaks (2026-07-28 'modern' or 2025 'legacy'). */
  eras(): Record<string, 'modern' | 'legacy' | undefined>;
  status(): BackendStatus[];
  /** Names two backends both expose (and names MCP does not allow), from the latest listings. */
  readonly collisions: Collision[];
  /** What the backends that are connected can do, merged. */
  capabilities(): ServerCapabilities;
  /** The backend itself when there is exactly one: a transparent gateway presents it as is. */
  soleBackend(): { serverInfo?: Implementation; instructions?: string; capabilities?: ServerCapabilities; prefix: string; discoverHint?: CacheHint } | undefined;
  /** Backend sessions of one downstream client, so requests from backends reach that client. */
  openSession(options: SessionOptions): AggregatorSession;
  /** Backend sessions held for downstream sessions now, per backend (each bounded by its `maxSessions`). */
  sessionCounts(): Record<string, number>;
  /** Runs every backend's health check now (instead of waiting for the interval). */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to every enabled backend (in parallel) and returns once each has had its first
 * attempt. A backend that is down does not fail this: it shows in `status()` and keeps being
 * retried in the background with capped, jittered backoff.
 */
export async function openAggregator(options: AggregatorOptions): Promise<Aggregator> {
  const logger = options.logger ?? silentLogger;
  const backends: Backend[] = [];
  let catalog!: Catalog;
  const announcer = new ChangeAnnouncer(() => catalog, options.onListChanged, options.listChangedDebounceMs ?? 100, logger);
  const changed = (kind: ChangedKind) => announcer.schedule(kind);
  const sessions = new Set<AggregatorSession>();
  /** A backend said a list changed (on any of its sessions): drop the cached list, tell clients. */
  const listChanged = (backend: Backend, kind: ChangedKind) => {
    catalog.invalidate(backend, kind === 'resources' ? ['resources', 'resourceTemplates'] : [kind]);
    if (kind === 'resources') backend.resourcesChanged();
    changed(kind);
  };
  for (const config of options.servers.servers) {
    backends.push(
      new Backend(config, {
        clientInfo: options.clientInfo,
        logger,
        failureThreshold: options.failureThreshold ?? 5,
        cooldownMs: options.cooldownMs ?? 10_000,
        healthIntervalMs: options.healthIntervalMs ?? 5000,
        reconnectBaseDelayMs: options.reconnectBaseDelayMs ?? 250,
        reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 15_000,
        followChanges: options.followChanges ?? true,
        onCall: options.onCall,
        onStateChange: (status, breaker) => {
          options.onStateChange?.(status, breaker);
          // A backend coming or going adds or removes its entries: every list changed.
          for (const kind of ['tools', 'resources', 'prompts'] as const) changed(kind);
        },
        onCatalogStale: (backend) => catalog.invalidate(backend),
        setupShared: (client, backend) => {
          client.setNotificationHandler('notifications/tools/list_changed', () => listChanged(backend, 'tools'));
          client.setNotificationHandler('notifications/resources/list_changed', () => listChanged(backend, 'resources'));
          client.setNotificationHandler('notifications/prompts/list_changed', () => listChanged(backend, 'prompts'));
          client.setNotificationHandler('notifications/resources/updated', (notification) => options.onResourceUpdated?.(notification.params.uri));
          client.setNotificationHandler('notifications/message', (notification) => backend.deliverLog(notification.params));
        },
      }),
    );
  }
  // A list that failed to load is listed again when its wait is over; clients hear of it if it changed what they see.
  catalog = new Catalog(backends, logger, { retryDue: (kind) => changed(kind === 'resourceTemplates' ? 'resources' : kind) });
  await Promise.all(backends.map((backend) => backend.start()));
  // A shared session the backend forgot (it restarted): reconnected at once, the request sent once more.
  const shared = new Router(
    catalog,
    (backend) => backend.sharedClient(),
    (backend, client) => backend.recover(client),
  );
  // What clients are shown now is the reference the first change is compared with.
  await announcer.start();
  const sessionIdleMs = options.sessionIdleMs ?? 300_000;
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - sessionIdleMs;
    for (const session of sessions) session.expireIdle(cutoff);
  }, Math.min(Math.max(sessionIdleMs / 4, 100), 30_000));
  sweeper.unref();

  return {
    listTools: () => catalog.list('tools'),
    callTool: (name, args, callOptions) => shared.callTool(name, args, callOptions),
    listResources: () => catalog.list('resources'),
    listResourceTemplates: () => catalog.list('resourceTemplates'),
    readResource: (uri, callOptions) => shared.readResource(uri, callOptions),
    listPrompts: () => catalog.list('prompts'),
    getPrompt: (name, args, callOptions) => shared.getPrompt(name, args, callOptions),
    complete: (params, callOptions) => shared.complete(params, callOptions),
    routeTool: (name) => shared.routeTool(name),
    forward: (backend, operation, request, callOptions) => shared.forward(backend, operation, request, callOptions),
    cacheHint: (kind) => catalog.hint(kind),
    eras: () => Object.fromEntries(backends.map((backend) => [backend.name, backend.prior?.kind])),
    status: () => backends.map((backend) => backend.status()),
    get collisions() {
      return catalog.collisions;
    },
    capabilities: () => mergeCapabilities(backends.filter((backend) => backend.ready).map((backend) => backend.capabilities ?? {})),
    soleBackend() {
      const enabled = backends.filter((backend) => backend.config.enabled);
      const only = enabled.length === 1 ? enabled[0] : undefined;
      const discover = only?.prior?.kind === 'modern' ? (only.prior.discover as CacheHint) : undefined;
      const discoverHint: CacheHint = {
        ...(typeof discover?.ttlMs === 'number' ? { ttlMs: discover.ttlMs } : {}),
        ...(discover?.cacheScope === 'public' || discover?.cacheScope === 'private' ? { cacheScope: discover.cacheScope } : {}),
      };
      return only && { serverInfo: only.serverInfo, instructions: only.instructions, capabilities: only.capabilities, prefix: only.config.prefix, discoverHint };
    },
    openSession: (sessionOptions) => new AggregatorSession(catalog, { ...sessionOptions, clientInfo: options.clientInfo, logger, backends, listChanged, peers: sessions }),
    sessionCounts: () => Object.fromEntries(backends.map((backend) => [backend.name, backend.sessionCount])),
    checkHealth: async () => {
      await Promise.all(backends.map((backend) => backend.checkHealth()));
    },
    close: async () => {
      clearInterval(sweeper);
      announcer.stop();
      // A session still open (its client never ended it, or it was opening a connection just now) ends here.
      await Promise.all([...sessions].map((session) => session.close()));
      await Promise.all(backends.map((backend) => backend.close()));
    },
  };
}

/** The union of what backends offer: a feature one backend has is offered (and routed to it). */
export function mergeCapabilities(all: ServerCapabilities[]): ServerCapabilities {
  const merged: ServerCapabilities = {};
  for (const capabilities of all) {
    if (capabilities.tools) merged.tools = { ...merged.tools, ...capabilities.tools };
    if (capabilities.resources) merged.resources = { ...merged.resources, ...capabilities.resources };
    if (capabilities.prompts) merged.prompts = { ...merged.prompts, ...capabilities.prompts };
    if (capabilities.logging) merged.logging = {};
    if (capabilities.completions) merged.completions = {};
  }
  return merged;
}

/**
 * Tells clients about changes of what they see, once per change: a backend's announcement (or
 * a backend coming or going) marks a kind for checking; after a short wait for more, the merged
 * list is fetched (cached lists are reused, announced ones fetched again) and compared with the
 * one announced last. Only a difference is passed on.
 */
class ChangeAnnouncer {
  private readonly pending = new Set<ChangedKind>();
  private readonly announced = new Map<ChangedKind, string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private started = false;
  private stopped = false;

  constructor(
    private readonly catalogOf: () => Catalog,
    private readonly onChanged: ((kind: ChangedKind) => void) | undefined,
    private readonly debounceMs: number,
    private readonly logger: AggregateLogger,
  ) {}

  /** Takes the lists clients see now as the reference (nothing to do when nobody listens). */
  async start(): Promise<void> {
    if (!this.onChanged) return;
    for (const kind of KINDS) this.announced.set(kind, await this.fingerprint(kind));
    this.started = true;
  }

  schedule(kind: ChangedKind): void {
    // Before the reference is taken there is nothing clients were shown to differ from.
    if (!this.onChanged || !this.started || this.stopped) return;
    this.pending.add(kind);
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => void this.flush(), this.debounceMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    this.running = (async () => {
      while (this.pending.size > 0 && !this.stopped) {
        const kinds = [...this.pending];
        this.pending.clear();
        for (const kind of kinds) {
          try {
            const now = await this.fingerprint(kind);
            if (now === this.announced.get(kind)) continue;
            this.announced.set(kind, now);
            if (!this.stopped) this.onChanged?.(kind);
          } catch (error) {
            this.logger.warn({ kind, err: error }, 'checking a list for changes failed');
          }
        }
      }
    })();
    await this.running;
    this.running = undefined;
    // Announced while the check ran: checked after its own wait.
    if (this.pending.size > 0 && !this.stopped) {
      this.timer = setTimeout(() => void this.flush(), this.debounceMs);
      this.timer.unref();
    }
  }

  /** The merged list as clients get it; a resource change may change the templates too. */
  private async fingerprint(kind: ChangedKind): Promise<string> {
    const catalog = this.catalogOf();
    if (kind === 'resources') return JSON.stringify([await catalog.list('resources'), await catalog.list('resourceTemplates')]);
    return JSON.stringify(await catalog.list(kind));
  }
}

const KINDS: ChangedKind[] = ['tools', 'resources', 'prompts'];
