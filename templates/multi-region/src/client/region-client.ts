import {
  Client,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  StreamableHTTPClientTransport,
  type CallToolResult,
  type ProtocolEra,
  type RequestOptions,
  type Tool,
  type VersionNegotiationOptions,
} from '@modelcontextprotocol/client';
import { withOwnSignal } from '../http/own-signal.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { systemClock, type Clock } from './clock.js';
import { AllRegionsDownError, describeError, RegionCallError } from './errors.js';
import { probeRegion, rank, type RegionStatus } from './probe.js';
import { DEFAULT_TIMINGS, type Protocol, type Region, type RegionsConfig, type RegionTimings } from './regions.js';
import { mayRepeat, refusal, type RepeatCandidate, type RetryPolicy } from './retry-rule.js';

export type { RetryPolicy } from './retry-rule.js';

export type ConnectReason = 'initial' | 'failover' | 'session-lost' | 'preferred-region';

/** What the client did, for logs and metrics of the calling program. */
export type RegionEvent =
  | { type: 'probed'; regions: RegionStatus[] }
  | { type: 'connected'; region: string; era: ProtocolEra; sessionId?: string; reason: ConnectReason; elapsedMs: number }
  | { type: 'region-down'; region: string; error: string }
  | { type: 'session-lost'; region: string; sessionId?: string }
  | { type: 'switching'; from: string; to: string; reason: ConnectReason };

export interface RegionClientOptions extends Partial<RegionTimings> {
  regions: Region[];
  headers?: Record<string, string>;
  retry?: RetryPolicy;
  /** Which protocol era to speak: `auto` (2026-07-28 first, 2025 fallback; default), `modern` or `legacy` only. */
  protocol?: Protocol;
  clientInfo?: { name: string; version: string };
  /** Consecutive failures of a region that open its circuit breaker (default 1: a refused connection is conclusive). */
  failureThreshold?: number;
  clock?: Clock;
  /** Source of jitter, in [0, 1). */
  random?: () => number;
  fetch?: typeof fetch;
  onEvent?: (event: RegionEvent) => void;
}

/**
 * One connection to one region: in the 2026 era a stateless client (every request stands alone),
 * in the 2025 era an MCP session. A session never moves: another region gets a new one.
 */
interface Connection {
  region: Region;
  era: ProtocolEra;
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** Aborted when the region is found dead, so calls waiting on it fail over at once. */
  broken: AbortController;
  inflight: number;
  idle?: () => void;
  /** The region that answered last, from X-MCP-Region. */
  servedBy?: string;
  checking: boolean;
  dropped: boolean;
}

type Failure =
  | { kind: 'session-lost' }
  | { kind: 'region'; reason: string; /** false only when the request cannot have run */ reached: boolean }
  | { kind: 'fatal' };

/** Connection errors that prove the request never reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Sorts an error into: the session is gone, the region failed, or the call itself failed. */
function classify(error: unknown, era: ProtocolEra): Failure {
  if (error instanceof SdkHttpError) {
    // 2025: the region no longer knows the session (restart, expiry). 2026 has no sessions:
    // a 404 is an endpoint that is not there, answered before anything ran.
    if (error.status === 404) return era === 'legacy' ? { kind: 'session-lost' } : { kind: 'region', reason: 'HTTP 404', reached: false };
    // 503 from a draining or overloaded region is answered before the request is processed.
    if (error.status === 503) return { kind: 'region', reason: 'HTTP 503', reached: false };
    if (error.status >= 500) return { kind: 'region', reason: `HTTP ${error.status}`, reached: true };
    return { kind: 'fatal' };
  }
  if (error instanceof SdkError) {
    if (error.code === SdkErrorCode.RequestTimeout || error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.SendFailed) {
      return { kind: 'region', reason: error.message, reached: true };
    }
    return { kind: 'fatal' };
  }
  if (error instanceof TypeError && /fetch failed|terminated|other side closed/i.test(error.message + String((error as { cause?: unknown }).cause))) {
    const code = errorCode(error);
    return { kind: 'region', reason: describeError(error), reached: !(code !== undefined && NOT_SENT.has(code)) };
  }
  if (error instanceof Error && /SocketError|ECONNRESET|other side closed/i.test(`${error.name} ${error.message}`)) {
    return { kind: 'region', reason: error.message, reached: true };
  }
  // A JSON-RPC error (ProtocolError) is the region's answer: the call failed, the region did not.
  return { kind: 'fatal' };
}

const isStreamError = (error: Error) => /SSE stream disconnected|Failed to reconnect SSE stream|Maximum reconnection attempts/.test(error.message);

/** The client's `versionNegotiation` for a protocol choice. */
function negotiation(protocol: Protocol, probeTimeoutMs: number): VersionNegotiationOptions {
  if (protocol === 'legacy') return { mode: 'legacy' };
  if (protocol === 'modern') return { mode: { pin: '2026-07-28' }, probe: { timeoutMs: probeTimeoutMs } };
  return { mode: 'auto', probe: { timeoutMs: probeTimeoutMs } };
}

/**
 * An MCP client over several regions of the same server. It measures every region through
 * `/health` and connects to the fastest healthy one, speaking 2026-07-28 where the region does
 * and 2025 otherwise. When that region fails (error or timeout) it connects to the next one and,
 * when `mayRepeat` allows, sends the failed request there again: in the 2026 era every request
 * stands alone, so nothing else moves; in the 2025 era the new region gets a new session
 * (`initialize`), as a session never crosses regions. A 2025 session the region no longer knows
 * (404, e.g. after a restart) is re-initialized in the same region. Regions are probed again
 * periodically, and the client returns to the fastest one once it is back.
 */
export class RegionClient {
  readonly timings: RegionTimings;
  private readonly regions: Region[];
  private readonly headers: Record<string, string>;
  private readonly retry: RetryPolicy;
  private readonly protocol: Protocol;
  private readonly clientInfo: { name: string; version: string };
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly fetchFn: typeof fetch;
  private readonly onEvent: (event: RegionEvent) => void;
  private statuses = new Map<string, RegionStatus>();
  private current?: Connection;
  private connecting?: Promise<Connection>;
  private reprobeTimer?: unknown;
  private reprobing = false;
  private closed = false;
  /** Tool annotations, learned once: every region serves the same tools. */
  private toolHints?: Map<string, Tool['annotations']>;

  constructor(options: RegionClientOptions) {
    if (options.regions.length === 0) throw new Error('RegionClient needs at least one region');
    this.regions = options.regions;
    this.headers = options.headers ?? {};
    this.retry = options.retry ?? 'safe';
    this.protocol = options.protocol ?? 'auto';
    this.clientInfo = options.clientInfo ?? { name: 'region-client', version: '1.0.0' };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.fetchFn = options.fetch ?? fetch;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.timings = {
      probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_TIMINGS.probeTimeoutMs,
      probeSamples: options.probeSamples ?? DEFAULT_TIMINGS.probeSamples,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMINGS.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMINGS.requestTimeoutMs,
      reprobeIntervalMs: options.reprobeIntervalMs ?? DEFAULT_TIMINGS.reprobeIntervalMs,
      switchMarginMs: options.switchMarginMs ?? DEFAULT_TIMINGS.switchMarginMs,
      coolDownMs: options.coolDownMs ?? DEFAULT_TIMINGS.coolDownMs,
      maxCoolDownMs: options.maxCoolDownMs ?? DEFAULT_TIMINGS.maxCoolDownMs,
    };
    const failureThreshold = options.failureThreshold ?? 1;
    if (!Number.isInteger(failureThreshold) || failureThreshold < 1) throw new Error('failureThreshold must be a whole number of at least 1');
    for (const region of this.regions) {
      this.breakers.set(
        region.name,
        new CircuitBreaker({ failureThreshold, coolDownMs: this.timings.coolDownMs, maxCoolDownMs: this.timings.maxCoolDownMs, clock: this.clock, random: this.random }),
      );
    }
  }

  /** The circuit breaker state of each region: open ones are neither probed nor used. */
  breakerStates(): Record<string, string> {
    return Object.fromEntries(this.regions.map((r) => [r.name, this.breakers.get(r.name)!.state]));
  }

  /** A client for a regions.json configuration (see loadRegions). */
  static fromConfig(config: RegionsConfig, options: Omit<RegionClientOptions, 'regions' | 'headers'> = {}): RegionClient {
    return new RegionClient({ ...config.timings, protocol: config.protocol, ...options, regions: config.regions, headers: config.headers });
  }

  /** The region of the current session, if one is open. */
  get region(): string | undefined {
    return this.current && !this.current.dropped ? this.current.region.name : undefined;
  }

  /** The protocol era of the current connection: `modern` (2026-07-28) or `legacy` (2025). */
  get era(): ProtocolEra | undefined {
    return this.current && !this.current.dropped ? this.current.era : undefined;
  }

  /** The 2025 session of the current connection; the 2026 era has none. */
  get sessionId(): string | undefined {
    return this.current && !this.current.dropped ? this.current.transport.sessionId : undefined;
  }

  /** The region named by the last response's X-MCP-Region header. */
  get servedBy(): string | undefined {
    return this.current?.servedBy;
  }

  /** What the last probes found, in configuration order. */
  status(): RegionStatus[] {
    return this.regions.map((r) => this.statuses.get(r.name) ?? { name: r.name, healthy: false, error: 'not probed yet' });
  }

  /** Probes every region whose breaker allows it; returns the healthy regions, fastest first. */
  async probe(): Promise<RegionStatus[]> {
    const results = await Promise.all(
      this.regions.map(async (region): Promise<RegionStatus> => {
        const breaker = this.breakers.get(region.name)!;
        if (!breaker.allowsRequest) {
          const last = (this.statuses.get(region.name)?.error ?? 'failed').replace(/^circuit open[^:]*: /, '');
          return { name: region.name, healthy: false, error: `circuit open, next test in ${Math.round(breaker.retryInMs)} ms: ${last}` };
        }
        const status = await probeRegion(region, { clock: this.clock, fetch: this.fetchFn, timeoutMs: this.timings.probeTimeoutMs, samples: this.timings.probeSamples, headers: this.headers });
        if (status.healthy) breaker.recordSuccess();
        else breaker.recordFailure();
        return status;
      }),
    );
    for (const result of results) this.statuses.set(result.name, result);
    this.onEvent({ type: 'probed', regions: results });
    return rank(results);
  }

  /** Probes, then opens a session in the fastest healthy region. Calls do this themselves when needed. */
  async connect(): Promise<string> {
    const connection = await this.connection();
    return connection.region.name;
  }

  /** Every tool (all pages: the SDK walks them when no cursor is given). */
  async listTools(options: { signal?: AbortSignal } = {}): Promise<Tool[]> {
    return this.execute({ method: 'tools/list' }, options.signal, async (client, requestOptions) => {
      const { tools } = await client.listTools(undefined, { ...requestOptions, signal: anySignal(requestOptions.signal, options.signal) });
      return tools;
    });
  }

  async callTool(name: string, args: Record<string, unknown> = {}, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CallToolResult> {
    // The first session learns the tool annotations (see open), so connect before deciding.
    if (!this.toolHints) await this.connection();
    const request: RepeatCandidate = { method: 'tools/call', annotations: this.toolHints?.get(name) };
    const call = (client: Client, requestOptions: RequestOptions): Promise<CallToolResult> =>
      client.callTool({ name, arguments: args }, { ...requestOptions, timeout: options.timeoutMs ?? requestOptions.timeout, signal: anySignal(requestOptions.signal, options.signal) });
    return this.execute(request, options.signal, call, name);
  }

  /**
   * Runs any request on the current connection with failover. `request` is what `mayRepeat`
   * judges when the region fails after the request may have run there; `signal` is the
   * caller's own cancellation, which is never mistaken for a region failure.
   */
  async execute<T>(request: RepeatCandidate, signal: AbortSignal | undefined, run: (client: Client, options: RequestOptions) => Promise<T>, target?: string): Promise<T> {
    const operation = target ? `${request.method} ${target}` : request.method;
    let sessionRenewed = false;
    // Each region can fail once per call; one more round covers a region that recovered meanwhile.
    for (let attempt = 0; attempt <= this.regions.length + 1; attempt += 1) {
      const connection = await this.connection();
      connection.inflight += 1;
      try {
        return await run(connection.client, { timeout: this.timings.requestTimeoutMs, signal: connection.broken.signal });
      } catch (error) {
        // The SDK reports any abort as a timeout; the caller's own is not the region's fault.
        if (signal?.aborted) throw error;
        const failure = classify(error, connection.era);
        if (failure.kind === 'fatal') throw error;
        if (failure.kind === 'session-lost' && !sessionRenewed) {
          // The region no longer knows the session (restart, expiry): a new one there, same region.
          sessionRenewed = true;
          this.onEvent({ type: 'session-lost', region: connection.region.name, sessionId: connection.transport.sessionId });
          await this.drop(connection, false);
          this.connecting ??= this.connectBest('session-lost', connection.region);
          continue;
        }
        const reason = failure.kind === 'region' ? failure.reason : 'session not found twice';
        this.markDown(connection.region.name, reason);
        await this.drop(connection, false);
        const reached = failure.kind === 'region' ? failure.reached : false;
        if (!mayRepeat(request, reached, this.retry)) throw new RegionCallError(connection.region.name, operation, error, refusal(request, this.retry));
      } finally {
        connection.inflight -= 1;
        if (connection.inflight === 0) connection.idle?.();
      }
    }
    throw new AllRegionsDownError(this.status());
  }

  /** Ends the connection (a 2025 session with DELETE) and stops re-probing. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reprobeTimer !== undefined) this.clock.clearTimeout(this.reprobeTimer);
    const pending = this.connecting?.catch(() => undefined);
    this.connecting = undefined;
    const connection = this.current ?? (await pending);
    this.current = undefined;
    if (connection) await this.drop(connection, true);
  }

  private markDown(name: string, error: string): void {
    this.breakers.get(name)!.recordFailure();
    this.statuses.set(name, { name, healthy: false, error });
    this.onEvent({ type: 'region-down', region: name, error });
  }

  /** The open session, or a new one in the fastest healthy region; concurrent callers share one attempt. */
  private async connection(): Promise<Connection> {
    if (this.closed) throw new Error('RegionClient is closed');
    if (this.current && !this.current.dropped) return this.current;
    this.connecting ??= this.connectBest(this.current ? 'failover' : 'initial');
    const pending = this.connecting;
    try {
      const connection = await pending;
      if (this.closed) {
        await this.drop(connection, true);
        throw new Error('RegionClient is closed');
      }
      this.current = connection;
      return connection;
    } finally {
      if (this.connecting === pending) this.connecting = undefined;
    }
  }

  /** Opens a session in `first` when given (same region after a lost session), else in the fastest healthy region. */
  private async connectBest(reason: ConnectReason, first?: Region): Promise<Connection> {
    const attempted = new Set<string>();
    const known = this.statuses.size > 0;
    // Known statuses first (a failover must not wait for a probe round), then a fresh round.
    const rounds: Array<() => Promise<RegionStatus[]> | RegionStatus[]> = known ? [() => rank(this.status()), () => this.probe()] : [() => this.probe()];
    if (first) rounds.unshift(() => [{ name: first.name, healthy: true }]);
    for (const round of rounds) {
      for (const status of await round()) {
        if (attempted.has(status.name)) continue;
        attempted.add(status.name);
        const region = this.regions.find((r) => r.name === status.name)!;
        try {
          const connection = await this.open(region, status.name === first?.name ? reason : reason === 'session-lost' ? 'failover' : reason);
          this.scheduleReprobe();
          return connection;
        } catch (error) {
          this.markDown(region.name, describeError(error));
        }
      }
    }
    this.scheduleReprobe();
    throw new AllRegionsDownError(this.status());
  }

  /** Connects to one region: `server/discover` (2026) or, from a 2025-only region, a new session (`initialize`). */
  private async open(region: Region, reason: ConnectReason): Promise<Connection> {
    const started = this.clock.now();
    const client = new Client(this.clientInfo, { capabilities: {}, versionNegotiation: negotiation(this.protocol, this.timings.connectTimeoutMs) });
    const connection: Connection = {
      region,
      era: 'legacy',
      client,
      transport: undefined as unknown as StreamableHTTPClientTransport,
      broken: new AbortController(),
      inflight: 0,
      checking: false,
      dropped: false,
    };
    const ownSignal = withOwnSignal(this.fetchFn);
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await ownSignal(input, init);
      connection.servedBy = response.headers.get('x-mcp-region') ?? connection.servedBy;
      return response;
    };
    connection.transport = new StreamableHTTPClientTransport(new URL(region.url), {
      requestInit: { headers: this.headers },
      fetch: recordingFetch,
      // The listening stream reconnects once; a region that stays away is failed over instead.
      reconnectionOptions: { maxRetries: 1, initialReconnectionDelay: 250, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 2 },
    });
    client.onerror = (error) => this.onConnectionError(connection, error);
    try {
      await client.connect(connection.transport, { timeout: this.timings.connectTimeoutMs });
      connection.era = client.getProtocolEra() ?? 'legacy';
      if (!this.toolHints) this.toolHints = await this.readToolHints(client);
    } catch (error) {
      connection.dropped = true;
      await connection.transport.close().catch(() => undefined);
      throw error;
    }
    this.breakers.get(region.name)!.recordSuccess();
    this.onEvent({ type: 'connected', region: region.name, era: connection.era, sessionId: connection.transport.sessionId, reason, elapsedMs: Math.round(this.clock.now() - started) });
    return connection;
  }

  /** Which tools may be repeated in another region: their read-only and idempotent annotations. */
  private async readToolHints(client: Client): Promise<Map<string, Tool['annotations']>> {
    const { tools } = await client.listTools(undefined, { timeout: this.timings.connectTimeoutMs });
    return new Map(tools.map((tool) => [tool.name, tool.annotations]));
  }

  /**
   * A broken listening stream is the first sign of a dead region: probe it, and when it is
   * gone fail the waiting calls now instead of after their timeout.
   */
  private onConnectionError(connection: Connection, error: Error): void {
    if (connection.dropped || connection.checking || this.closed || !isStreamError(error)) return;
    connection.checking = true;
    void probeRegion(connection.region, { clock: this.clock, fetch: this.fetchFn, timeoutMs: this.timings.probeTimeoutMs, samples: 1, headers: this.headers })
      .then((status) => {
        if (status.healthy || connection.dropped) return;
        this.markDown(connection.region.name, status.error ?? 'unhealthy');
        connection.broken.abort(new SdkError(SdkErrorCode.ConnectionClosed, `region ${connection.region.name} is unreachable (${status.error ?? 'unhealthy'})`));
        void this.drop(connection, false);
      })
      .finally(() => {
        connection.checking = false;
      });
  }

  /** Retires a connection; `graceful` waits for its calls and ends a 2025 session (DELETE) so the region can free it. */
  private async drop(connection: Connection, graceful: boolean): Promise<void> {
    if (connection.dropped && !graceful) return;
    connection.dropped = true;
    if (graceful) {
      if (connection.inflight > 0) await new Promise<void>((resolve) => (connection.idle = resolve));
      await this.withTimeout(connection.transport.terminateSession(), this.timings.probeTimeoutMs).catch(() => undefined);
    }
    await connection.client.close().catch(() => undefined);
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      promise.then(resolve, reject).finally(() => this.clock.clearTimeout(timer));
    });
  }

  private scheduleReprobe(): void {
    if (this.closed || this.timings.reprobeIntervalMs === 0 || this.reprobeTimer !== undefined) return;
    // Jitter (80-120 % of the interval): clients that failed over together do not probe together.
    const jitter = 0.8 + 0.4 * this.random();
    const delay = this.timings.reprobeIntervalMs * jitter;
    this.reprobeTimer = this.clock.setTimeout(() => {
      this.reprobeTimer = undefined;
      void this.reprobe().finally(() => this.scheduleReprobe());
    }, delay);
  }

  /** Re-measures every region and moves to the fastest healthy one when it clearly wins. */
  async reprobe(): Promise<void> {
    if (this.reprobing || this.closed) return;
    this.reprobing = true;
    try {
      const ranking = await this.probe();
      const best = ranking[0];
      const current = this.current && !this.current.dropped ? this.current : undefined;
      if (!best || !current || this.connecting || best.name === current.region.name) return;
      const currentStatus = this.statuses.get(current.region.name);
      const currentLatency = currentStatus?.healthy ? (currentStatus.latencyMs ?? Infinity) : Infinity;
      if ((best.latencyMs ?? Infinity) + this.timings.switchMarginMs >= currentLatency) return;
      this.onEvent({ type: 'switching', from: current.region.name, to: best.name, reason: 'preferred-region' });
      const region = this.regions.find((r) => r.name === best.name)!;
      // The new connection opens before the old one is retired, so calls never wait for the move.
      const opening = this.open(region, 'preferred-region');
      this.connecting = opening;
      let next: Connection;
      try {
        next = await opening;
      } catch (error) {
        this.markDown(region.name, describeError(error));
        return;
      } finally {
        if (this.connecting === opening) this.connecting = undefined;
      }
      if (this.closed) {
        await this.drop(next, true);
        return;
      }
      this.current = next;
      await this.drop(current, true);
    } finally {
      this.reprobing = false;
    }
  }
}

/** A signal that aborts when either does. */
function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}
