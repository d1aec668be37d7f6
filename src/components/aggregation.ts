import type { Component } from './types.js';

/**
 * The aggregation core shared by the gateway and the multi-server client: an MCP client connection
 * per backend (Streamable HTTP or stdio) from an `mcpServers` file, in the protocol era the backend
 * speaks (2026-07-28 first, else 2025), namespacing, paginated and cached listings, routing,
 * timeouts, retries with jittered backoff and a circuit breaker per backend.
 */
export const aggregation: Component = {
  id: 'aggregation',
  templates: ['aggregation', 'outbound'],
  dependencies: ['@modelcontextprotocol/client'],
  layout: {
    'src/aggregate/': 'the aggregation core: servers file, connections, namespacing, retries, circuit breakers',
  },
};
