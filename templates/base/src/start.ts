import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createApp } from './app.js';
import { isLoopbackHost, type Config } from './config.js';
import { createInflightTracker } from './lifecycle/inflight.js';
import { createReadiness, type Readiness } from './lifecycle/readiness.js';
import { createShutdown } from './lifecycle/shutdown.js';
import { openMcpLayer } from './mcp/layer.js';
import { createSessionRegistry } from './mcp/sessions.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import { readPackageInfo } from './package-info.js';
import { openSharedState } from './state/open.js';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** Drains and stops; resolves false when SHUTDOWN_TIMEOUT_MS was hit. */
  shutdown(reason: string): Promise<boolean>;
}

export interface StartOptions {
  logger?: Logger;
}

/** Builds everything from the configuration and serves it on Node until `shutdown`. */
export async function start(config: Config, { logger = createLogger(config.logLevel) }: StartOptions = {}): Promise<RunningServer> {
  const info = readPackageInfo();
  const metrics = createMetrics();
  const inflight = createInflightTracker();
  const readiness = createReadiness({
    onFailure: (name, error) => logger.warn({ check: name, err: error }, 'readiness check failed'),
  });
  // Loaded only when configured: without an endpoint no OpenTelemetry SDK code is imported.
  let tracing: Tracing | undefined;
  if (config.otlpEndpoint) {
    const { setupTracing } = await import('./observability/tracing.js');
    tracing = setupTracing({ endpoint: config.otlpEndpoint, serviceName: config.serviceName ?? info.name });
  }
  const { sessionStore, rateLimitStore, eventBus } = await openSharedState(config, { logger });
  if (sessionStore) readiness.register('session-store', () => sessionStore.ping());
  // subscriptions/listen: the shared bus reaches the streams every instance holds; alone, this process is all there is.
  const bus = eventBus ?? new InMemoryServerEventBus((error) => logger.warn({ err: error }, 'subscriptions/listen delivery failed'));
  const mcp = await openMcpLayer({ config, logger, metrics, readiness, info, tracing, bus });
  const sessions =
    config.sessionMode === 'stateful'
      ? createSessionRegistry({ idleTimeoutMs: config.sessionIdleTimeoutMs, maxSessions: config.maxSessions, metrics, logger, store: sessionStore })
      : undefined;

  const app = createApp({
    config,
    logger,
    metrics,
    readiness,
    inflight,
    info,
    mcp,
    sessions,
    bus,
    tracing,
    rateLimitStore,
    remoteAddress: (c) => getConnInfo(c).remote.address,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        serverOptions: {
          // Slow senders (slowloris) must not hold connections; SSE responses are not affected.
          requestTimeout: config.requestTimeoutMs,
          headersTimeout: Math.min(config.requestTimeoutMs, 60_000),
        },
      },
      () => resolve(created as Server),
    );
    created.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  if (config.auth.mode === 'none' && !isLoopbackHost(config.host)) {
    logger.warn({ host: config.host }, 'AUTH_MODE=none on a non-loopback interface: anyone who can reach this port can call tools');
  }
  logger.info({ url, protocol: config.protocol, sessionMode: config.sessionMode, authMode: config.auth.mode, tracing: Boolean(tracing), version: info.version }, 'listening');

  const shutdown = createShutdown({
    readiness,
    inflight,
    stopAccepting: () => new Promise((resolve) => server.close(() => resolve())),
    closeIdleConnections: () => {
      // A response that just ended may still be flushing: close each connection once it is idle.
      server.closeIdleConnections();
      const timer = setInterval(() => server.closeIdleConnections(), 25);
      server.once('close', () => clearInterval(timer));
    },
    closers: [
      // Ends open subscriptions/listen streams (draining does not wait for them) and any exchange still running.
      { name: 'mcp-handler', close: () => app.mcp.close() },
      ...(sessions ? [{ name: 'sessions', close: () => sessions.closeAll() }] : []),
      { name: 'mcp', close: () => mcp.close() },
      ...(tracing ? [{ name: 'tracing', close: () => tracing.shutdown() }] : []),
      ...(sessionStore ? [{ name: 'session-store', close: () => sessionStore.close() }] : []),
      ...(rateLimitStore ? [{ name: 'rate-limit-store', close: () => rateLimitStore.close() }] : []),
      ...(eventBus ? [{ name: 'event-bus', close: () => eventBus.close() }] : []),
    ],
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
    logger,
  });

  return { url, port, logger, metrics, readiness, shutdown };
}
