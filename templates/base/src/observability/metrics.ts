import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric this app emits; `monitoring/alerts.yml` may only reference these (and `up`). */
export const METRIC_NAMES = {
  httpRequests: 'mcp_http_requests_total',
  httpDuration: 'mcp_http_request_duration_seconds',
  toolCalls: 'mcp_tool_calls_total',
  toolDuration: 'mcp_tool_call_duration_seconds',
  activeSessions: 'mcp_active_sessions',
  rateLimited: 'mcp_rate_limited_total',
  authFailures: 'mcp_auth_failures_total',
} as const;

export type ToolOutcome = 'success' | 'error' | 'timeout' | 'cancelled' | 'input_required';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  toolCalls: Counter<'tool' | 'outcome'>;
  toolDuration: Histogram<'tool' | 'outcome'>;
  activeSessions: Gauge;
  rateLimited: Counter;
  authFailures: Counter<'reason'>;
}

/** A registry per app instance, so several servers in one process (tests) do not collide. */
export function createMetrics({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: METRIC_NAMES.httpRequests,
      help: 'HTTP requests by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: METRIC_NAMES.httpDuration,
      help: 'HTTP request duration until the response body ended, in seconds',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    toolCalls: new Counter({
      name: METRIC_NAMES.toolCalls,
      help: 'MCP tool calls by tool and outcome (success, error, timeout, cancelled)',
      labelNames: ['tool', 'outcome'],
      registers,
    }),
    toolDuration: new Histogram({
      name: METRIC_NAMES.toolDuration,
      help: 'MCP tool call duration by tool and outcome, in seconds',
      labelNames: ['tool', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    activeSessions: new Gauge({
      name: METRIC_NAMES.activeSessions,
      help: 'MCP sessions currently held by this instance (stateful mode)',
      registers,
    }),
    rateLimited: new Counter({
      name: METRIC_NAMES.rateLimited,
      help: 'Requests rejected with 429 by the rate limiter',
      registers,
    }),
    authFailures: new Counter({
      name: METRIC_NAMES.authFailures,
      help: 'Requests rejected with 401, by reason (missing, invalid)',
      labelNames: ['reason'],
      registers,
    }),
  };
}
