import { GATEWAY_SERVERS, gatewayCompose, gatewayK8s } from './gateway-servers.js';
import type { Component } from './types.js';

/**
 * The gateway pattern: `/mcp` serves the backends of `gateway.config.json` (HTTP or stdio, each in
 * the protocol era it speaks) as one MCP server to clients of both eras, over the aggregation
 * core. Replaces the base layer that serves the example tools.
 */
export const gateway: Component = {
  id: 'gateway',
  templates: ['gateway'],
  replaces: ['src/mcp/layer.ts'],
  // Its layer serves the backends: the base layer's example tools, their server and tool runner are never run.
  omits: ['src/mcp/server.ts', 'src/mcp/tools.ts', 'src/mcp/tool-runner.ts'],
  deploy: {
    compose: gatewayCompose,
    k8s: gatewayK8s,
    documents: () => ({ 'gateway.config.json': GATEWAY_SERVERS }),
    image: {
      comment:
        'The servers file (mount your own over it, or point GATEWAY_CONFIG elsewhere) and the example backend it starts.',
      copy: [
        { from: 'gateway.config.json', to: './' },
        { from: 'examples', to: './examples' },
      ],
    },
  },
  readme: 'readme-gateway',
  env: [
    {
      name: 'GATEWAY_CONFIG',
      default: 'gateway.config.json',
      schema: 'z.string().min(1)',
      description:
        'The backends: an mcpServers file (url + headers or auth, or command + args + env; prefix, timeoutMs, enabled, maxSessions, maxListPages per server)',
    },
    {
      name: 'GATEWAY_PAGE_SIZE',
      default: '100',
      schema: 'bounded(1, 10_000)',
      description: 'Entries per page of the tools, resources and prompts lists served to clients',
    },
    {
      name: 'GATEWAY_HEALTH_INTERVAL_MS',
      default: '5000',
      schema: 'bounded(100, 600_000)',
      description:
        'How often each backend is checked (ping; server/discover for a 2026-07-28 backend); a failed check feeds its circuit breaker and triggers a reconnect',
    },
    {
      name: 'GATEWAY_BREAKER_THRESHOLD',
      default: '5',
      schema: 'bounded(1, 1000)',
      description: 'Consecutive failures of a backend that open its circuit breaker (calls then fail fast)',
    },
    {
      name: 'GATEWAY_BREAKER_COOLDOWN_MS',
      default: '10000',
      schema: 'bounded(100, 3_600_000)',
      description: 'How long a breaker stays open before one probe request is let through (half-open)',
    },
    {
      name: 'GATEWAY_SESSION_IDLE_MS',
      default: '300000',
      schema: 'bounded(100, 86_400_000)',
      description:
        "A 2025 client session's backend connections (a stdio process each, an HTTP session) unused for this long are closed, and its next call opens fresh ones; a client that leaves without ending its session frees its backends after this. A backend at its maxSessions closes the least recently used idle one first",
    },
  ],
  layout: {
    'src/mcp/': 'what /mcp serves: the gateway layer (layer.ts) over the backends, both protocol eras, 2025 sessions',
    'src/gateway/': 'gateway settings, pagination, errors and backend metrics',
    'gateway.config.json': 'the backends, in the mcpServers format',
    'examples/backends/': 'an example backend of both protocol eras, over stdio and over HTTP',
  },
  extending: 'extend-backends',
  tests: {
    // Its suites start backends (stdio processes, HTTP servers) before they reach the gateway.
    timeoutMs: 20_000,
    env: [
      {
        name: 'GATEWAY_CONFIG',
        value: 'test/fixtures/example-tools.json',
        why: 'Unless a test names its own servers file, the gateway serves the example tools through one transparent backend, so the suite written for those tools also proves the gateway transparent.',
      },
    ],
  },
};
