import type { ServerEventBus } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { ANONYMOUS } from './auth/identity.js';
import { METADATA_PATH, protectedResourceMetadata, resourceMetadataUrl } from './auth/metadata.js';
import { createVerifier } from './auth/verifier.js';
import { isLoopbackHost, type Config } from './config.js';
import { clientAddress, type RemoteAddress } from './http/client-address.js';
import type { AppEnv } from './http/env.js';
import { instanceIdentity } from './http/instance.js';
import type { InflightTracker } from './lifecycle/inflight.js';
import type { Readiness } from './lifecycle/readiness.js';
import type { McpLayer } from './mcp/layer-types.js';
import type { SessionRegistry } from './mcp/sessions.js';
import { createMcpEndpoint, type McpEndpoint } from './mcp/transport.js';
import { accessLog } from './middleware/access-log.js';
import { authenticate } from './middleware/auth.js';
import { bodyLimit } from './middleware/body-limit.js';
import { drain } from './middleware/drain.js';
import { hostGuard } from './middleware/host.js';
import { originGuard } from './middleware/origin.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestId } from './middleware/request-id.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import type { PackageInfo } from './package-info.js';
import { memoryTokenBucket } from './rate-limit/memory.js';
import type { RateLimitStore } from './rate-limit/store.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  inflight: InflightTracker;
  info: PackageInfo;
  /** What `/mcp` serves (src/mcp/layer.ts). */
  mcp: McpLayer;
  /** Stateful mode only: the sessions of the 2025 leg. */
  sessions?: SessionRegistry;
  /** What `subscriptions/listen` streams subscribe to (shared by the instances); in-process when absent. */
  bus?: ServerEventBus;
  /** Present when tracing is on. */
  tracing?: Pick<Tracing, 'middleware'>;
  /** Answer with one JSON body instead of an SSE stream (for runtimes that cannot stream). */
  jsonResponse?: boolean;
  /** Defaults to the in-memory token bucket; replicas share a store instead. */
  rateLimitStore?: RateLimitStore;
  /** Peer address as the runtime reports it; used for rate limiting anonymous callers. */
  remoteAddress?: RemoteAddress;
}

/** The Hono app, with the MCP endpoint behind `/mcp` (its `close` ends listen streams at shutdown). */
export type McpApp = Hono<AppEnv> & { mcp: McpEndpoint };

/**
 * The Hono app: every runtime entry (Node here, serverless handlers elsewhere) serves this.
 * Order on /mcp matters: Origin and Host are refused before authentication, the rate limit
 * counts authenticated identities, and the body is size-checked before anything parses it.
 */
export function createApp(deps: AppDeps): McpApp {
  const { config, logger, metrics, readiness, inflight, info, mcp, sessions, tracing } = deps;
  const remoteAddress = deps.remoteAddress ?? (() => undefined);
  const metadataOptions = { auth: config.auth, publicUrl: config.publicUrl, trustProxy: config.trustProxy, resourceName: info.name };

  const app = new Hono<AppEnv>();
  const identity = instanceIdentity(config);
  if (identity) {
    metrics.registry.setDefaultLabels(identity.labels);
    app.use('*', async (c, next) => {
      await next();
      for (const [name, value] of Object.entries(identity.headers)) c.header(name, value);
    });
  }
  app.use('*', requestId({ logger }));
  if (tracing) app.use('*', tracing.middleware);
  app.use('*', accessLog({ metrics }));
  app.use('*', drain({ inflight, readiness }));

  app.get('/health', (c) => c.json({ status: 'ok', ...identity?.health }));
  app.get('/ready', async (c) => {
    const report = await readiness.report();
    return c.json(report, report.status === 'ready' ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }),
  );
  app.get(METADATA_PATH, (c) => c.json(protectedResourceMetadata(c, metadataOptions)));
  app.get(`${METADATA_PATH}/mcp`, (c) => c.json(protectedResourceMetadata(c, metadataOptions)));

  // Unset on a loopback HOST: the server's own origin (http://localhost:<port> and the like) passes.
  app.use('/mcp', originGuard({ allowedOrigins: config.allowedOrigins, ownLoopbackOrigin: config.allowedOrigins.length === 0 && isLoopbackHost(config.host) }));
  app.use('/mcp', hostGuard({ allowedHosts: config.allowedHosts }));
  app.use(
    '/mcp',
    authenticate({
      verifier: createVerifier(config.auth),
      metrics,
      resourceMetadataUrl: (c) => resourceMetadataUrl(c, metadataOptions),
    }),
  );
  if (config.rateLimitRps > 0) {
    app.use(
      '/mcp',
      rateLimit({
        store: deps.rateLimitStore ?? memoryTokenBucket({ ratePerSecond: config.rateLimitRps, burst: config.rateLimitBurst }),
        metrics,
        key: (c) => {
          const identity = c.get('identity') ?? ANONYMOUS;
          return identity.kind === 'anonymous' ? `ip:${clientAddress(c, config.trustProxy, remoteAddress)}` : identity.id;
        },
      }),
    );
  }
  app.use('/mcp', bodyLimit({ maxBytes: config.maxBodyBytes }));
  const endpoint = createMcpEndpoint({
    protocol: config.protocol,
    mode: config.sessionMode,
    createServer: (ctx) => mcp.createServer(ctx),
    ...(mcp.checkRequest ? { checkRequest: mcp.checkRequest } : {}),
    ...(mcp.forward ? { forward: mcp.forward } : {}),
    sessions,
    jsonResponse: deps.jsonResponse,
    bus: deps.bus,
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });
  app.all('/mcp', endpoint.route);

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((error, c) => {
    (c.get('log') ?? logger).error({ err: error }, 'unhandled error');
    return c.json({ error: 'internal_error', requestId: c.get('requestId') }, 500);
  });
  return Object.assign(app, { mcp: endpoint });
}
