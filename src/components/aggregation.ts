import type { Component } from './types.js';

/**
 * The aggregation core shared by the gateway and the multi-server client: an MCP client session
 * per backend (Streamable HTTP or stdio) from an `mcpServers` file, namespacing, paginated and
 * cached listings, routing, timeouts, retries with jittered backoff and a circuit breaker per backend.
 */
export const aggregation: Component = {
  id: 'aggregation',
  templates: ['aggregation', 'outbound'],
  layout: {
    'src/aggregate/': 'the aggregation core: servers file, connections, namespacing, retries, circuit breakers',
  },
};
