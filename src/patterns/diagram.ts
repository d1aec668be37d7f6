import type { PatternOptions } from './types.js';

/** Pieces of the README's Mermaid flowcharts that several patterns draw alike. */

/** Label of the client -> server edge: the transport and, when on, the credential it carries. */
export function mcpEdge(options: Pick<PatternOptions, 'authMode' | 'protocol'>): string {
  const auth = options.authMode === 'none' ? '' : `, ${options.authMode === 'jwt' ? 'JWT' : 'API key'}`;
  const eras = options.protocol === 'modern' ? 'MCP 2026-07-28' : 'MCP 2026-07-28 + 2025';
  return `"Streamable HTTP /mcp (${eras}${auth})"`;
}

export const GUARD = 'guard["Origin + Host check, auth, rate limit, body limit"]';

/**
 * Where session records live, as a node; a memory store lives inside the process. A pattern
 * may name its database more precisely (a global one, say).
 */
export function storeNode(options: Pick<PatternOptions, 'store'>, database = 'SQLite / Postgres: sessions'): string {
  switch (options.store) {
    case 'redis':
      return 'store[("Redis: sessions, rate limits")]';
    case 'database':
      return `store[("${database}")]`;
    case 'hybrid':
      return 'store[("Redis in front of a database: sessions")]';
    default:
      return 'store[("sessions in memory")]';
  }
}

/** Prometheus, probes and tracing: the same for every long-running server. */
export function operations(target: string): string[] {
  return [
    `  prometheus["Prometheus"] -->|"GET /metrics"| ${target}`,
    `  probes["Load balancer / orchestrator"] -->|"GET /health, /ready"| ${target}`,
    `  ${target} -.->|"OTLP traces (when configured)"| otel["OpenTelemetry collector"]`,
  ];
}
