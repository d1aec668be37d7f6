import type { Component } from './types.js';

/**
 * The gateway pattern: `/mcp` serves the backends of `gateway.config.json` (HTTP or stdio) as one
 * MCP server, over the aggregation core. Replaces the base layer that serves the example tools.
 */
export const gateway: Component = {
  id: 'gateway',
  templates: ['gateway'],
  replaces: ['src/mcp/layer.ts', 'vitest.config.ts'],
  readme: 'readme-gateway',
  // Rate limits shared through Redis when REDIS_URL is set (replicated gateways).
  dependencies: ['ioredis'],
  env: [
    { name: 'GATEWAY_CONFIG', default: 'gateway.config.json', description: 'The backends: an mcpServers file (url + headers, or command + args + env; prefix, timeoutMs, enabled, maxSessions per server)' },
    { name: 'GATEWAY_PAGE_SIZE', default: '100', description: 'Entries per page of the tools, resources and prompts lists served to clients' },
    { name: 'GATEWAY_HEALTH_INTERVAL_MS', default: '5000', description: 'How often each backend is pinged; a failed ping feeds its circuit breaker and triggers a reconnect' },
    { name: 'GATEWAY_BREAKER_THRESHOLD', default: '5', description: 'Consecutive failures of a backend that open its circuit breaker (calls then fail fast)' },
    { name: 'GATEWAY_BREAKER_COOLDOWN_MS', default: '10000', description: 'How long a breaker stays open before one probe request is let through (half-open)' },
    { name: 'REDIS_URL', default: '', description: 'Redis URL; when set, rate limits are shared by every gateway replica' },
  ],
};
