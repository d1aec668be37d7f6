import {
  ProtocolError,
  type Client,
  type Implementation,
  type LoggingMessageNotification,
  type McpSubscription,
  type PriorDiscovery,
  type ServerCapabilities,
} from '@modelcontextprotocol/client';
import { CircuitBreaker, type BreakerState } from './breaker.js';
import { listAll } from './catalog.js';
import type { ServerConfig } from './config.js';
import { connectBackend, isSessionLost, priorOf, type AggregateLogger, type BackendClient, type ConnectOptions } from './connection.js';
import { AggregateErrorCode, classify, type CallOutcome } from './outcome.js';
import { backoffDelay, sleep } from './retry.js';
import { refusedForCaller } from './token-exchange.js';

export type BackendState = 'connecting' | 'ready' | 'open' | 'down' | 'disabled';

export interface BackendStatus {
  name: string;
  transport: 'http' | 'stdio';
  state: BackendState;
  lastError?: string;
}

export interface CallEvent {
  backend: string;
  operation: string;
  outcome: CallOutcome;
  durationMs: number;
}

/** A backend's log line, as `notifications/message` carries it. */
export type LogParams = LoggingMessageNotification['params'];

export interface BackendOptions {
  clientInfo: { name: string; version: string };
  logger: AggregateLogger;
  failureThreshold: number;
  cooldownMs: number;
  healthIntervalMs: number;
  reconnectBaseDelayMs: number;
  reconnectMaxDelayMs: number;
  /** Open the streams and subscriptions that follow the backend's changes (AggregatorOptions.followChanges). */
  followChanges: boolean;
  /** The shared connection was (re)established or lost: cached lists are stale. */
  onCatalogStale: (backend: Backend) => void;
  onCall?: (event: CallEvent) => void;
  onStateChange?: (status: BackendStatus, breaker: BreakerState) => void;
  /** Handlers for the shared connection (list_changed); registered before every initialize. */
  setupShared: (client: Client, backend: Backend) => void;
}

/**
 * One backend: its circuit breaker, a shared client session (listing, caching, health) that is
 * re-established with capped, jittered backoff whenever it is lost (a stdio backend is restarted),
 * and a periodic health ping. Every request goes through `run`, which applies the timeout and the
 * breaker, so a dead or hanging backend fails fast and never holds up the others.
 */
export class Backend {
  readonly breaker: CircuitBreaker;
  private shared?: BackendClient;
  private connecting?: Promise<void>;
  private attempt = 0;
  private stopped = false;
  /** Aborted by `close()`: a connection attempt in progress ends at once (its stdio child too). */
  private readonly stopping = new AbortController();
  private healthTimer?: NodeJS.Timeout;
  private wake?: () => void;
  private lastError?: string;
  private connectState: 'connecting' | 'ready' | 'down' = 'connecting';
  /** Backend sessions opened for downstream sessions; bounded by `maxSessions`. */
  sessionCount = 0;
  capabilities?: ServerCapabilities;
  serverInfo?: Implementation;
  instructions?: string;
  /** The era the backend speaks, learnt by the shared connection: other connections skip the probe. */
  prior?: PriorDiscovery;
  /** Requests in flight on the shared connection, each with where its log lines go (if anywhere). */
  private readonly sharedInflight = new Set<{ onlog?: (params: LogParams) => void }>();
  /** The shared connection's subscription to updates of the resources the backend lists. */
  private resourceWatch?: McpSubscription;
  /** Lost shared connections still being closed, so `close()` returns only once they are gone. */
  private readonly closing = new Set<Promise<void>>();
  /** Callers waiting for the next shared connection (`recover`). */
  private readonly waiting = new Set<() => void>();

  constructor(readonly config: ServerConfig, private readonly options: BackendOptions) {
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      onStateChange: (state) => {
        options.logger.warn({ backend: config.name, breaker: state }, `backend circuit breaker ${state}`);
        this.emitState();
      },
    });
  }

  get name(): string {
    return this.config.name;
  }

  status(): BackendStatus {
    const transport = this.config.target.transport;
    if (!this.config.enabled) return { name: this.name, transport, state: 'disabled' };
    const breaker = this.breaker.state;
    const state: BackendState = breaker === 'open' ? 'open' : this.connectState;
    return { name: this.name, transport, state, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** The protocol revision the shared connection negotiated with the backend, once connected. */
  get revision(): string | undefined {
    return this.shared?.client.getNegotiatedProtocolVersion();
  }

  get ready(): boolean {
    return this.config.enabled && this.connectState === 'ready' && this.breaker.state !== 'open';
  }

  /** Starts connecting in the background; resolves after the first attempt, whatever its outcome. */
  start(): Promise<void> {
    if (!this.config.enabled) return Promise.resolve();
    const first = this.loop();
    this.scheduleHealth();
    return first;
  }

  /** Connects the shared session, then keeps it: reconnects with backoff while the backend is away. */
  private loop(): Promise<void> {
    let firstDone!: () => void;
    const first = new Promise<void>((resolve) => (firstDone = resolve));
    this.connecting = (async () => {
      while (!this.stopped && !this.shared) {
        try {
          await this.connectShared();
          this.attempt = 0;
        } catch (error) {
          this.setDown(error);
          firstDone();
          const delay = backoffDelay(this.attempt++, { baseDelayMs: this.options.reconnectBaseDelayMs, maxDelayMs: this.options.reconnectMaxDelayMs });
          this.options.logger.warn({ backend: this.name, err: error, retryInMs: delay }, 'backend unreachable; retrying');
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            void sleep(delay).then(resolve);
          });
          this.wake = undefined;
        }
      }
      firstDone();
    })().finally(() => {
      this.connecting = undefined;
    });
    return first;
  }

  private async connectShared(): Promise<void> {
    let connection: BackendClient | undefined = undefined;
    connection = await connectBackend(this.config, {
      clientInfo: this.options.clientInfo,
      capabilities: {},
      setup: (client) => this.options.setupShared(client, this),
      // Closed while connecting: connectBackend rejects, and the loop retries.
      onClosed: () => connection && this.lost(connection, new Error('connection closed')),
      logger: this.options.logger,
      timeoutMs: this.config.timeoutMs,
      signal: this.stopping.signal,
    } satisfies ConnectOptions);
    try {
      // A 2026-07-28 backend announces list changes only on a stream the client opens.
      if (this.options.followChanges && !this.stopped) {
        if (connection.client.getProtocolEra() === 'modern') await this.listen(connection);
        await this.watchResources(connection);
      }
    } catch (error) {
      // A half-set-up connection is never kept: its process (stdio) must not outlive the attempt.
      await connection.close();
      throw error;
    }
    // The gateway stopped meanwhile (its close() found no shared connection to end): end this one.
    if (this.stopped) {
      await connection.close();
      return;
    }
    this.shared = connection;
    this.capabilities = connection.client.getServerCapabilities();
    this.serverInfo = connection.client.getServerVersion();
    this.instructions = connection.client.getInstructions();
    this.prior = priorOf(connection.client);
    this.connectState = 'ready';
    this.lastError = undefined;
    this.breaker.success();
    this.options.logger.info({ backend: this.name, transport: this.config.target.transport, server: this.serverInfo }, 'backend connected');
    this.emitState();
    this.options.onCatalogStale(this);
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }

  /**
   * The shared connection `client` failed because the backend no longer knows its session (it
   * restarted): reconnects now, without waiting for the health check, and waits up to the
   * backend's timeout for the new connection. True when there is one to send the request again on.
   */
  async recover(client: Client): Promise<boolean> {
    if (this.shared?.client === client) this.lost(this.shared, new Error('the backend no longer knows the shared session (it restarted)'));
    if (this.shared) return !this.stopped;
    const connected = new Promise<void>((resolve) => this.waiting.add(resolve));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connected, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.timeoutMs)))]);
    clearTimeout(timer);
    return !this.stopped && this.shared !== undefined;
  }

  /**
   * Opens the shared connection's `subscriptions/listen` stream for the lists the backend says can
   * change. A stream the backend drops is treated as a lost connection: reconnecting opens a new
   * one, and the lists are fetched again, so no change goes unseen.
   */
  private async listen(connection: BackendClient): Promise<void> {
    const offered = connection.client.getServerCapabilities() ?? {};
    const filter = {
      ...(offered.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(offered.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(offered.prompts?.listChanged ? { promptsListChanged: true } : {}),
    };
    if (Object.keys(filter).length === 0) return;
    const subscription = await connection.client.listen(filter, { timeout: this.config.timeoutMs });
    void subscription.closed.then((reason) => {
      if (reason !== 'local') this.lost(connection, new Error(`the backend ended its subscriptions/listen stream (${reason})`));
    });
  }

  /**
   * Subscribes the shared connection to updates of every resource the backend lists (when it
   * offers subscriptions), so the gateway can pass each update on to the clients that asked for
   * it: on a `subscriptions/listen` stream of a 2026-07-28 backend, with `resources/subscribe` on a
   * 2025 one. Runs again when the backend's resource list changes.
   */
  private async watchResources(connection: BackendClient): Promise<void> {
    const client = connection.client;
    if (!client.getServerCapabilities()?.resources?.subscribe) return;
    const uris = (await listAll(client, 'resources', this.config.timeoutMs)).items.map((resource) => resource.uri);
    const options = { timeout: this.config.timeoutMs };
    if (client.getProtocolEra() !== 'modern') {
      await Promise.all(uris.map((uri) => client.subscribeResource({ uri }, options)));
      return;
    }
    const previous = this.resourceWatch;
    this.resourceWatch = undefined;
    if (uris.length > 0) {
      const subscription = await client.listen({ resourceSubscriptions: uris }, options);
      this.resourceWatch = subscription;
      void subscription.closed.then((reason) => {
        if (reason !== 'local' && this.resourceWatch === subscription) this.lost(connection, new Error(`the backend ended its resource subscription stream (${reason})`));
      });
    }
    await previous?.close();
  }

  /** The backend's resource list changed: the subscriptions follow it. */
  resourcesChanged(): void {
    const shared = this.shared;
    if (!shared || !this.options.followChanges) return;
    this.watchResources(shared).catch((error: unknown) => this.options.logger.warn({ backend: this.name, err: error }, 'subscribing to resource updates failed'));
  }

  /**
   * A log line of the backend on the shared connection. A 2026-07-28 backend sends one only while
   * serving a request, and the wire does not say which: it goes to the request in flight when there
   * is exactly one, and is dropped when several could have caused it (another caller's request).
   */
  deliverLog(params: LogParams): void {
    if (this.sharedInflight.size !== 1) return;
    const [only] = this.sharedInflight;
    only?.onlog?.(params);
  }

  /** The shared session ended (a stdio process exited, the backend forgot the session): reconnect. */
  private lost(connection: BackendClient | undefined, error: unknown): void {
    if (this.stopped || (connection && this.shared !== connection)) return;
    const old = this.shared;
    this.shared = undefined;
    if (old) this.track(old.close());
    this.setDown(error);
    this.options.onCatalogStale(this);
    if (!this.connecting) void this.loop();
  }

  private track(closing: Promise<void>): void {
    const tracked = closing.catch(() => {});
    this.closing.add(tracked);
    void tracked.finally(() => this.closing.delete(tracked));
  }

  private setDown(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.connectState !== 'down') {
      this.connectState = 'down';
      this.emitState();
    }
  }

  private emitState(): void {
    this.options.onStateChange?.(this.status(), this.breaker.state);
  }

  /** Pings the shared session now and then; failures feed the breaker and trigger reconnects. */
  private scheduleHealth(): void {
    this.healthTimer = setInterval(() => void this.checkHealth(), this.options.healthIntervalMs);
    this.healthTimer.unref();
  }

  async checkHealth(): Promise<void> {
    const shared = this.shared;
    if (!shared) {
      this.wake?.();
      return;
    }
    try {
      // A 2025 backend answers ping; the 2026-07-28 revision has no ping, and server/discover is as cheap.
      const options = { timeout: Math.min(this.config.timeoutMs, 5000) };
      const modern = shared.client.getProtocolEra() === 'modern';
      await this.run(modern ? 'server/discover' : 'ping', (client) => (modern ? client.discover(options) : client.ping(options)), { client: shared.client, probe: true });
    } catch (error) {
      if (isSessionLost(error) || !(error instanceof ProtocolError)) this.lost(shared, error);
    }
  }

  /** The shared client, or a fast, clear error while the backend is not connected. */
  sharedClient(): Client {
    if (!this.shared) throw this.unavailable();
    return this.shared.client;
  }

  unavailable(): ProtocolError {
    const breaker = this.breaker.state;
    if (breaker === 'open') {
      return new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is unavailable: its circuit breaker is open after repeated failures; retrying in ${Math.ceil(this.breaker.retryInMs / 1000)} s`, { backend: this.name, state: 'open' });
    }
    return new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is unavailable${this.lastError ? ` (${this.lastError})` : ''}; the gateway keeps reconnecting`, { backend: this.name, state: this.status().state });
  }

  /**
   * Runs one request against the backend through its breaker, with its timeout. Only failures of
   * the backend itself (unreachable, timed out, connection lost) count against the breaker; an
   * error the backend answered with is a working backend.
   */
  async run<T>(
    operation: string,
    request: (client: Client) => Promise<T>,
    { client, probe = false, signal, onlog }: { client?: Client; probe?: boolean; signal?: AbortSignal; onlog?: (params: LogParams) => void } = {},
  ): Promise<T> {
    const started = performance.now();
    const report = (outcome: CallOutcome) => this.options.onCall?.({ backend: this.name, operation, outcome, durationMs: performance.now() - started });
    if (!this.config.enabled) throw new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is disabled ("enabled": false in the servers file)`);
    if (!probe && !this.breaker.tryAcquire()) {
      report('unavailable');
      throw this.unavailable();
    }
    let target: Client;
    try {
      target = client ?? this.sharedClient();
    } catch (error) {
      this.breaker.release();
      report('unavailable');
      throw error;
    }
    // A probe (ping, server/discover) causes no log line: only requests that may are counted.
    const entry = { onlog };
    const counted = !probe && target === this.shared?.client;
    if (counted) this.sharedInflight.add(entry);
    try {
      const result = await request(target);
      this.breaker.success();
      report('success');
      return result;
    } catch (error) {
      // The shared session is gone (the backend restarted): reconnect at once instead of at the next health check.
      if (isSessionLost(error) && this.shared?.client === target) this.lost(this.shared, error);
      // A backend refusing the user a request was made for (token exchange) is healthy: the breaker does not count it.
      const outcome = signal?.aborted ? 'cancelled' : refusedForCaller(error) ? 'error' : classify(error);
      if (outcome === 'cancelled') this.breaker.release();
      else if (outcome === 'error') this.breaker.success();
      else this.breaker.failure();
      report(outcome);
      if (outcome === 'timeout') {
        throw new ProtocolError(AggregateErrorCode.BackendTimeout, `Backend "${this.name}" did not answer ${operation} within ${this.config.timeoutMs} ms`, { backend: this.name, timeoutMs: this.config.timeoutMs });
      }
      // Transport failures (connection refused, reset, lost session) become one clear error naming the backend.
      if (outcome === 'unavailable' && !(error instanceof ProtocolError) && !isSessionLost(error)) {
        throw new ProtocolError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is unavailable: ${(error as Error | undefined)?.message ?? String(error)}`, { backend: this.name });
      }
      throw error;
    } finally {
      if (counted) this.sharedInflight.delete(entry);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.stopping.abort(new Error(`the gateway is closing its connection to backend "${this.name}"`));
    clearInterval(this.healthTimer);
    this.wake?.();
    const shared = this.shared;
    this.shared = undefined;
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
    await shared?.close();
    await this.connecting?.catch(() => {});
    await Promise.all([...this.closing]);
  }
}
