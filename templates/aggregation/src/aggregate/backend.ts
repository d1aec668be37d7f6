import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, type Implementation, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { CircuitBreaker, type BreakerState } from './breaker.js';
import type { ServerConfig } from './config.js';
import { connectBackend, isSessionLost, type AggregateLogger, type BackendClient, type ConnectOptions } from './connection.js';
import { backoffDelay, sleep } from './retry.js';

export type BackendState = 'connecting' | 'ready' | 'open' | 'down' | 'disabled';

export interface BackendStatus {
  name: string;
  transport: 'http' | 'stdio';
  state: BackendState;
  lastError?: string;
}

/** JSON-RPC error codes of the aggregation layer (server-defined range). */
export const AggregateErrorCode = {
  /** The backend is down or its circuit breaker is open: fail fast instead of waiting. */
  BackendUnavailable: -32010,
} as const;

export type CallOutcome = 'success' | 'error' | 'timeout' | 'unavailable' | 'cancelled';

export interface CallEvent {
  backend: string;
  operation: string;
  outcome: CallOutcome;
  durationMs: number;
}

export interface BackendOptions {
  clientInfo: { name: string; version: string };
  logger: AggregateLogger;
  failureThreshold: number;
  cooldownMs: number;
  healthIntervalMs: number;
  reconnectBaseDelayMs: number;
  reconnectMaxDelayMs: number;
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
  private healthTimer?: NodeJS.Timeout;
  private wake?: () => void;
  private lastError?: string;
  private connectState: 'connecting' | 'ready' | 'down' = 'connecting';
  /** Backend sessions opened for downstream sessions; bounded by `maxSessions`. */
  sessionCount = 0;
  capabilities?: ServerCapabilities;
  serverInfo?: Implementation;
  instructions?: string;

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
    } satisfies ConnectOptions);
    if (this.stopped) {
      await connection.close();
      return;
    }
    this.shared = connection;
    this.capabilities = connection.client.getServerCapabilities();
    this.serverInfo = connection.client.getServerVersion();
    this.instructions = connection.client.getInstructions();
    this.connectState = 'ready';
    this.lastError = undefined;
    this.breaker.success();
    this.options.logger.info({ backend: this.name, transport: this.config.target.transport, server: this.serverInfo }, 'backend connected');
    this.emitState();
    this.options.onCatalogStale(this);
  }

  /** The shared session ended (a stdio process exited, the backend forgot the session): reconnect. */
  private lost(connection: BackendClient | undefined, error: unknown): void {
    if (this.stopped || (connection && this.shared !== connection)) return;
    const old = this.shared;
    this.shared = undefined;
    void old?.close();
    this.setDown(error);
    this.options.onCatalogStale(this);
    if (!this.connecting) void this.loop();
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
      await this.run('ping', (client) => client.ping({ timeout: Math.min(this.config.timeoutMs, 5000) }), { client: shared.client, probe: true });
    } catch (error) {
      if (isSessionLost(error) || !(error instanceof McpError)) this.lost(shared, error);
    }
  }

  /** The shared client, or a fast, clear error while the backend is not connected. */
  sharedClient(): Client {
    if (!this.shared) throw this.unavailable();
    return this.shared.client;
  }

  unavailable(): McpError {
    const breaker = this.breaker.state;
    if (breaker === 'open') {
      return new McpError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is unavailable: its circuit breaker is open after repeated failures; retrying in ${Math.ceil(this.breaker.retryInMs / 1000)} s`, { backend: this.name, state: 'open' });
    }
    return new McpError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is unavailable${this.lastError ? ` (${this.lastError})` : ''}; the gateway keeps reconnecting`, { backend: this.name, state: this.status().state });
  }

  /**
   * Runs one request against the backend through its breaker, with its timeout. Only failures of
   * the backend itself (unreachable, timed out, connection lost) count against the breaker; an
   * error the backend answered with is a working backend.
   */
  async run<T>(operation: string, request: (client: Client) => Promise<T>, { client, probe = false, signal }: { client?: Client; probe?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const started = performance.now();
    const report = (outcome: CallOutcome) => this.options.onCall?.({ backend: this.name, operation, outcome, durationMs: performance.now() - started });
    if (!this.config.enabled) throw new McpError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is disabled ("enabled": false in the servers file)`);
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
    try {
      const result = await request(target);
      this.breaker.success();
      report('success');
      return result;
    } catch (error) {
      const outcome = signal?.aborted ? 'cancelled' : classify(error);
      if (outcome === 'cancelled') this.breaker.release();
      else if (outcome === 'error') this.breaker.success();
      else this.breaker.failure();
      report(outcome);
      if (outcome === 'timeout') {
        throw new McpError(ErrorCode.RequestTimeout, `Backend "${this.name}" did not answer ${operation} within ${this.config.timeoutMs} ms`, { backend: this.name, timeoutMs: this.config.timeoutMs });
      }
      // Transport failures (connection refused, reset, lost session) become one clear error naming the backend.
      if (outcome === 'unavailable' && !(error instanceof McpError) && !isSessionLost(error)) {
        throw new McpError(AggregateErrorCode.BackendUnavailable, `Backend "${this.name}" is unavailable: ${(error as Error | undefined)?.message ?? String(error)}`, { backend: this.name });
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.healthTimer);
    this.wake?.();
    const shared = this.shared;
    this.shared = undefined;
    await shared?.close();
    await this.connecting?.catch(() => {});
  }
}

/** How a failed request ended: answered by the backend ('error'), or a failure of the backend. */
export function classify(error: unknown): CallOutcome {
  if ((error as Error | undefined)?.name === 'AbortError') return 'cancelled';
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return 'timeout';
    if (error.code === ErrorCode.ConnectionClosed) return 'unavailable';
    if (error.code === AggregateErrorCode.BackendUnavailable) return 'unavailable';
    return 'error';
  }
  return 'unavailable';
}
