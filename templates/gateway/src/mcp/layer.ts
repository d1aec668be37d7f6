import { loadServersConfig, openAggregator, requireUserTokens, type Aggregator, type BackendStatus } from '../aggregate/index.js';
import { createGatewayMetrics } from '../gateway/metrics.js';
import { createForwarder } from '../gateway/forward.js';
import { backendSessions, createGatewayServer, LiveServers } from '../gateway/server.js';
import { paramHeaderCheck } from '../gateway/param-headers.js';
import { loadGatewaySettings, type GatewaySettings } from '../gateway/settings.js';
import type { Server } from '@modelcontextprotocol/server';
import type { McpLayer as BaseLayer, McpLayerDeps as BaseLayerDeps } from './layer-types.js';

export interface McpLayerDeps extends BaseLayerDeps {
  /** The gateway's own settings; read from the environment (GATEWAY_*) when absent. */
  gateway?: GatewaySettings;
}

/** The MCP side of the app (src/mcp/layer-types.ts); in the gateway, the backends of the servers file, aggregated. */
export interface McpLayer extends BaseLayer {
  /** The aggregator behind the layer (backend states, collisions). */
  aggregator?: Aggregator;
}

/**
 * Connects to every backend of the servers file (GATEWAY_CONFIG), in the protocol era each speaks,
 * and serves them as one MCP server to clients of both eras. A bad servers file stops the start with a message naming the file, the
 * server and the field; a backend that is down does not: it is reported on /ready and retried.
 */
export async function openMcpLayer({
  config,
  logger,
  metrics,
  readiness,
  info,
  tracing,
  bus,
  gateway = loadGatewaySettings(),
}: McpLayerDeps): Promise<McpLayer> {
  const servers = await loadServersConfig(gateway.configFile);
  // A backend with token exchange needs the clients' OAuth access tokens: refused at start without them.
  requireUserTokens(servers, config.auth.mode);
  const live = new LiveServers();
  const gatewayMetrics = createGatewayMetrics(
    metrics,
    servers.servers.map((server) => server.name),
  );
  const aggregator = await openAggregator({
    servers,
    clientInfo: { name: info.name, version: info.version },
    logger: logger.child({ component: 'gateway' }),
    failureThreshold: gateway.breakerThreshold,
    cooldownMs: gateway.breakerCooldownMs,
    healthIntervalMs: gateway.healthIntervalMs,
    sessionIdleMs: gateway.sessionIdleMs,
    // 2025 sessions are told on their own stream; 2026-07-28 clients on their subscriptions/listen streams (the bus).
    onListChanged: (kind) => {
      live.notify(kind);
      bus?.publish({ kind: `${kind}_list_changed` });
    },
    // A backend's resource changed: the 2026-07-28 streams that listen for it are told.
    onResourceUpdated: (uri) => bus?.publish({ kind: 'resource_updated', uri }),
    onCall: gatewayMetrics.onCall,
    onStateChange: gatewayMetrics.onStateChange,
  });
  gatewayMetrics.observeSessions(() => aggregator.sessionCounts());
  // Listing once at start fills the caches and logs any name collision before the first client comes.
  await Promise.all([
    aggregator.listTools(),
    aggregator.listPrompts(),
    aggregator.listResources(),
    aggregator.listResourceTemplates(),
  ]);

  // Each backend is shown on /ready with its state. One backend down does not take the gateway out
  // of the load balancer (the others still answer); no backend at all does.
  for (const server of servers.servers) {
    readiness.register(
      `backend:${server.name}`,
      () => {
        const status = aggregator.status().find((item) => item.name === server.name) as BackendStatus;
        if (status.state !== 'ready' && status.state !== 'disabled')
          throw Object.assign(new Error(`backend ${server.name} is ${status.state}: ${status.lastError ?? ''}`), {
            state: status.state,
          });
        return { state: status.state };
      },
      { critical: false },
    );
  }
  readiness.register('backends', () => {
    if (!aggregator.status().some((status) => status.state === 'ready'))
      throw Object.assign(new Error('no backend is ready'), { state: 'none-ready' });
  });

  const options = {
    aggregator,
    info,
    logger,
    metrics,
    pageSize: gateway.pageSize,
    stateful: config.sessionMode === 'stateful',
    clientRequestTimeoutMs: config.requestTimeoutMs,
    toolTimeoutMs: config.requestTimeoutMs,
    tracing,
  };
  return {
    aggregator,
    createServer: (request) => createGatewayServer(options, live, request),
    // Mcp-Param-* headers of a 2026-07-28 tools/call are checked against the exposed tool before it is forwarded.
    checkRequest: paramHeaderCheck(() => aggregator.listTools()),
    // Tool calls for HTTP backends of the client's era go to the backend as they came (gateway/forward.ts).
    forward: createForwarder({
      aggregator,
      sessionOf: (server) => (server ? backendSessions.get(server as Server)?.() : undefined),
      logger,
      metrics,
      toolTimeoutMs: config.requestTimeoutMs,
      tracing,
      // A transparent gateway (one backend, no prefix) presents the backend's own; otherwise itself.
      serverInfo: () => {
        const sole = aggregator.soleBackend();
        return sole && sole.prefix === '' && sole.capabilities && sole.serverInfo
          ? sole.serverInfo
          : { name: info.name, version: info.version };
      },
    }),
    // Runs after every session closed: waits until their backend sessions (stdio processes) are gone, then ends the shared ones.
    close: async () => {
      await live.settled();
      await aggregator.close();
    },
  };
}
