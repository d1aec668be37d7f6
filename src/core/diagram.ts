import type { ProjectOptions } from './options.js';

/** Label of the client -> server edge: the transport and, when on, the credential it carries. */
function mcpEdge(options: ProjectOptions): string {
  const auth = options.authMode === 'none' ? '' : ` (${options.authMode === 'jwt' ? 'JWT' : 'API key'})`;
  return `"Streamable HTTP /mcp${auth}"`;
}

const GUARD = 'guard["Origin + Host check, auth, rate limit, body limit"]';

/** Where session records live, as a node; a memory store lives inside the process. */
function storeNode(options: ProjectOptions): string {
  switch (options.store) {
    case 'redis':
      return 'store[("Redis: sessions, rate limits")]';
    case 'database':
      return options.pattern === 'multi-region'
        ? 'store[("global Postgres-compatible store (CockroachDB)")]'
        : 'store[("SQLite / Postgres: sessions")]';
    case 'hybrid':
      return 'store[("Redis in front of a database: sessions")]';
    default:
      return 'store[("sessions in memory")]';
  }
}

/** Prometheus, probes and tracing: the same for every long-running server. */
function operations(target: string): string[] {
  return [
    `  prometheus["Prometheus"] -->|"GET /metrics"| ${target}`,
    `  probes["Load balancer / orchestrator"] -->|"GET /health, /ready"| ${target}`,
    `  ${target} -.->|"OTLP traces (when configured)"| otel["OpenTelemetry collector"]`,
  ];
}

function single(options: ProjectOptions): string[] {
  return [
    `  client["MCP client"] -->|${mcpEdge(options)}| server`,
    `  subgraph server["${options.name}"]`,
    '    direction TB',
    `    ${GUARD} --> mcp["MCP server: tools"]`,
    `    mcp --> sessions[("sessions: ${options.sessionMode}, ${options.store}")]`,
    '  end',
    ...operations('server'),
  ];
}

function gateway(options: ProjectOptions): string[] {
  return [
    `  client["MCP clients"] -->|${mcpEdge(options)}| gw`,
    `  subgraph gw["${options.name} (gateway)"]`,
    '    direction TB',
    `    ${GUARD} --> agg["aggregation: namespaced tools, resources, prompts; list cache"]`,
    '    agg --> breakers["per-backend timeout, retry, circuit breaker"]',
    '  end',
    '  breakers -->|"MCP over Streamable HTTP (own credentials)"| httpBackend["HTTP backends"]',
    '  breakers -->|"MCP over stdio"| stdioBackend["stdio backends (child processes)"]',
    ...(options.store === 'redis' ? ['  gw --> store[("Redis: shared rate limits")]'] : []),
    ...operations('gw'),
  ];
}

function multiServer(options: ProjectOptions): string[] {
  return [
    '  agent["agent CLI"] --> lib["aggregation library: mcp-servers.json"]',
    `  lib -->|${mcpEdge(options)}| server`,
    '  lib -->|"MCP over stdio"| stdioServer["example stdio server"]',
    '  lib -->|"MCP over Streamable HTTP"| httpServer["example HTTP server"]',
    `  subgraph server["${options.name} (example server)"]`,
    `    ${GUARD} --> mcp["MCP server: tools"]`,
    '  end',
    ...operations('server'),
  ];
}

function loadBalanced(options: ProjectOptions): string[] {
  return [
    `  client["MCP clients"] -->|${mcpEdge(options)}| lb["nginx / Ingress (no cookie affinity)"]`,
    `  lb --> r1["replica 1: ${options.sessionMode}"]`,
    `  lb --> r2["replica 2: ${options.sessionMode}"]`,
    `  lb --> r3["replica 3: ${options.sessionMode}"]`,
    `  r1 & r2 & r3 -->|"session records (any replica rebuilds a session), shared rate limits"| ${storeNode(options)}`,
    ...operations('r1'),
  ];
}

function serverless(options: ProjectOptions): string[] {
  const lines: string[] = [];
  const functions: string[] = [];
  if (options.deploy.includes('lambda')) {
    lines.push(`  client["MCP clients"] -->|${mcpEdge(options)}| apigw["API Gateway HTTP API / Function URL"]`);
    lines.push('  apigw --> lambda["AWS Lambda: fresh MCP server per invocation, JSON responses"]');
    functions.push('lambda');
  }
  if (options.deploy.includes('vercel')) {
    lines.push(`  client["MCP clients"] -->|${mcpEdge(options)}| vercel["Vercel function api/mcp: fresh MCP server per request"]`);
    functions.push('vercel');
  }
  if (functions.length === 0) {
    lines.push(`  client["MCP clients"] -->|${mcpEdge(options)}| server["${options.name} (Node, stateless)"]`);
    functions.push('server');
  }
  if (options.authMode === 'jwt') {
    for (const fn of functions) lines.push(`  ${fn} -.->|"JWKS, cached per instance"| idp["authorization server"]`);
  }
  return lines;
}

function multiRegion(options: ProjectOptions): string[] {
  return [
    '  client["region-aware client (regions.json)"] -->|"MCP session in the fastest healthy region"| us["region us-east: replicas"]',
    '  client -.->|"failover: new session"| eu["region eu-west: replicas"]',
    '  client -.->|"failover: new session"| ap["region ap-southeast: replicas"]',
    `  us & eu & ap --> ${storeNode(options)}`,
    ...operations('us'),
  ];
}

/** The node deployment artifacts attach to, per pattern. */
const MAIN_NODE: Record<ProjectOptions['pattern'], string> = {
  single: 'server',
  gateway: 'gw',
  'multi-server': 'server',
  'load-balanced': 'r1',
  serverless: 'client',
  'multi-region': 'us',
};

const BY_PATTERN: Record<ProjectOptions['pattern'], (options: ProjectOptions) => string[]> = {
  single,
  gateway,
  'multi-server': multiServer,
  'load-balanced': loadBalanced,
  serverless,
  'multi-region': multiRegion,
};

/** What compose.yaml runs: a memory-store gateway runs once, everything else three times behind nginx. */
function composeServices(options: ProjectOptions): string {
  if (options.pattern === 'gateway' && options.store === 'memory') return 'gateway, example backend, nginx';
  if (options.pattern === 'gateway') return 'Redis, 3 gateways, example backend, nginx';
  return 'store, 3 replicas, nginx';
}

/** A Mermaid flowchart of the system actually generated, for the project's README. */
export function mermaidFor(options: ProjectOptions, components: readonly string[]): string {
  const lines = ['flowchart LR', ...BY_PATTERN[options.pattern](options)];
  const main = MAIN_NODE[options.pattern];
  if (components.includes('docker')) lines.push(`  image["Docker image (non-root)"] -.-> ${main}`);
  if (components.includes('compose')) lines.push(`  compose["docker compose: ${composeServices(options)}"] -.-> ${main}`);
  if (components.includes('k8s')) lines.push(`  k8s["Kubernetes: kustomize base (probes, HPA, PDB, NetworkPolicy)"] -.-> ${main}`);
  return lines.join('\n');
}
