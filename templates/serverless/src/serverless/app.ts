import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { createApp } from '../app.js';
import type { RemoteAddress } from '../http/client-address.js';
import { createInflightTracker } from '../lifecycle/inflight.js';
import { createReadiness } from '../lifecycle/readiness.js';
import { openMcpLayer } from '../mcp/layer.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { readPackageInfo } from '../package-info.js';
import { loadServerlessConfig, type ServerlessConfig, type ServerlessConfigOptions } from './config.js';

/**
 * Response headers a browser client must be able to read. The MCP ones matter to web clients:
 * the negotiated protocol version, the session id (for the stateful revision of a deployment),
 * the resumption cursor and the authentication challenge.
 */
export const EXPOSED_HEADERS = ['Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID', 'WWW-Authenticate', 'Retry-After', 'X-Request-Id'];

export interface ServerlessAppOptions extends ServerlessConfigOptions {
  /** The caller's address as the platform reports it (rate limiting of anonymous callers). */
  remoteAddress: RemoteAddress;
  /** Defaults to JSON lines on stdout, which Lambda and Vercel collect. */
  logger?: Logger;
}

export interface ServerlessApp extends ServerlessConfig {
  /** The base app (`createApp`): both protocol eras, stateless, JSON answers, behind the CORS exposure of EXPOSED_HEADERS. */
  app: Hono;
  logger: Logger;
}

/**
 * Everything `start()` builds for the Node server, minus what only a long-lived process has
 * (a listening socket, signal handling, draining). Built once per function instance, so the
 * JWKS cache of the JWT verifier and the MCP layer outlive single invocations; the MCP server
 * itself is created per request by the stateless route.
 */
export async function createServerlessApp(env: Record<string, string | undefined>, options: ServerlessAppOptions): Promise<ServerlessApp> {
  const { config, functionTimeoutMs } = loadServerlessConfig(env, options);
  const logger = options.logger ?? createLogger(config.logLevel);
  if (config.otlpEndpoint) {
    // A frozen instance cannot flush batched spans, so they would be lost at random.
    logger.warn('OTEL_EXPORTER_OTLP_ENDPOINT is ignored by functions: use the platform\'s tracing (e.g. the AWS Distro for OpenTelemetry layer)');
  }
  const info = readPackageInfo();
  // Process metrics of one short-lived instance say little and cost start-up time.
  const metrics = createMetrics({ defaultMetrics: false });
  const readiness = createReadiness({ onFailure: (name, error) => logger.warn({ check: name, err: error }, 'readiness check failed') });
  // Change events reach listen streams of this instance only: a function instance holds no stream for long.
  const bus = new InMemoryServerEventBus((error) => logger.warn({ err: error }, 'subscriptions/listen delivery failed'));
  const mcp = await openMcpLayer({ config, logger, metrics, readiness, info, bus });
  const inner = createApp({
    config,
    logger,
    metrics,
    readiness,
    inflight: createInflightTracker(),
    info,
    mcp,
    bus,
    jsonResponse: true,
    remoteAddress: options.remoteAddress,
  });

  // The base app is used as is; this outer layer only widens what browsers may read, since the
  // base CORS settings are made for the Node server.
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    exposeHeaders(c.res.headers);
  });
  // The platform's bindings (the Lambda event and context) travel on, for the caller's address.
  app.all('*', (c) => inner.fetch(c.req.raw, c.env));
  logger.info({ authMode: config.auth.mode, functionTimeoutMs, requestTimeoutMs: config.requestTimeoutMs, version: info.version }, 'function instance ready');
  return { app, logger, config, functionTimeoutMs };
}

/** Adds EXPOSED_HEADERS to a CORS response (one whose Origin was allowed); others stay untouched. */
function exposeHeaders(headers: Headers): void {
  if (!headers.has('access-control-allow-origin')) return;
  const current = (headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  const known = new Set(current.map((h) => h.toLowerCase()));
  const merged = [...current, ...EXPOSED_HEADERS.filter((h) => !known.has(h.toLowerCase()))];
  headers.set('Access-Control-Expose-Headers', merged.join(', '));
}
