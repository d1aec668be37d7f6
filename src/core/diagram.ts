import type { ProjectOptions } from './options.js';

/** A Mermaid flowchart of the system actually generated, for the project's README. */
export function mermaidFor(options: ProjectOptions, components: readonly string[]): string {
  const lines = ['flowchart LR'];
  const auth = options.authMode === 'none' ? '' : ` (${options.authMode === 'jwt' ? 'JWT' : 'API key'})`;
  lines.push(`  client["MCP client"] -->|"Streamable HTTP /mcp${auth}"| server`);
  lines.push(`  subgraph server["${options.name}"]`);
  lines.push('    direction TB');
  lines.push('    guard["Origin + Host check, auth, rate limit, body limit"] --> mcp["MCP server: tools"]');
  lines.push(`    mcp --> sessions[("sessions: ${options.sessionMode}, ${options.store}")]`);
  lines.push('  end');
  lines.push('  prometheus["Prometheus"] -->|"GET /metrics"| server');
  lines.push('  probes["Load balancer / orchestrator"] -->|"GET /health, /ready"| server');
  lines.push('  server -.->|"OTLP traces (when configured)"| otel["OpenTelemetry collector"]');
  if (components.includes('docker')) lines.push('  image["Docker image (non-root)"] -.-> server');
  return lines.join('\n');
}
