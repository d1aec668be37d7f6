import type { DeployTarget, PatternId, SessionMode, StoreId } from './ids.js';

/** A deployment pattern of the catalog: what it is, when it fits, what it costs. */
export interface Pattern {
  id: PatternId;
  title: string;
  summary: string;
  useWhen: string[];
  /** Limitations the user accepts by choosing it (from the guide the catalog is built on). */
  limitations: string[];
  /** Session modes it supports; the first is the default. */
  sessionModes: readonly SessionMode[];
  /** Stores it can use; the first is the default. */
  stores: readonly StoreId[];
  /** Deploy targets it can generate; `defaultDeploy` are chosen unless the user says otherwise. */
  deploy: readonly DeployTarget[];
  defaultDeploy: readonly DeployTarget[];
  /** Several instances serve it at once (state must be shared). */
  replicated: boolean;
  /** Topology as plain text for the terminal. */
  diagram: string;
}

export const PATTERNS: Record<PatternId, Pattern> = {
  single: {
    id: 'single',
    title: 'Single server',
    summary: 'One MCP server that clients reach directly over Streamable HTTP.',
    useWhen: ['Prototyping and development', 'A single-purpose application', 'One tool domain with direct access'],
    limitations: ['No fault tolerance: one instance is a single point of failure', 'No tool aggregation across domains', 'Scales only vertically'],
    sessionModes: ['stateless', 'stateful'],
    stores: ['memory', 'database'],
    deploy: ['docker'],
    defaultDeploy: ['docker'],
    replicated: false,
    diagram: [
      '  +--------+   Streamable HTTP /mcp   +------------+',
      '  | Client | -----------------------> | MCP server |',
      '  +--------+                          +------------+',
    ].join('\n'),
  },
  'multi-server': {
    id: 'multi-server',
    title: 'Multi-server aggregation',
    summary: 'One client aggregates tools from several independent MCP servers, namespaced per server.',
    useWhen: ['Composing tools from several domains', 'Agents with diverse capabilities', 'Servers maintained independently'],
    limitations: ['Every client carries the aggregation logic and every backend credential', 'No central auth, rate limiting or audit', 'Each client opens a connection to every server'],
    sessionModes: ['stateless', 'stateful'],
    stores: ['memory'],
    deploy: ['docker'],
    defaultDeploy: ['docker'],
    replicated: false,
    diagram: [
      '  +---------------------------------------+',
      '  | Client: aggregation layer              |',
      '  |  files__read  github__issue  slack__post|',
      '  +----+-------------+-------------+------+',
      '       |             |             |',
      '  +----v----+   +----v----+   +----v----+',
      '  | Server A|   | Server B|   | Server C|',
      '  +---------+   +---------+   +---------+',
    ].join('\n'),
  },
  gateway: {
    id: 'gateway',
    title: 'Gateway',
    summary: 'A central MCP gateway: an MCP server to clients and an MCP client to each backend, with auth, rate limits and routing.',
    useWhen: ['Central authentication and rate limiting', 'Tool discovery and routing across teams', 'Caching list results', 'Backends owned by separate teams'],
    limitations: ['An extra hop on every call', 'The gateway is critical infrastructure: run it replicated', 'Stateful: it holds MCP sessions both ways'],
    sessionModes: ['stateful', 'stateless'],
    stores: ['memory', 'redis'],
    deploy: ['docker', 'compose', 'k8s'],
    defaultDeploy: ['docker', 'compose'],
    replicated: true,
    diagram: [
      '              +---------+',
      '              | Clients |',
      '              +----+----+',
      '                   |',
      '          +--------v--------+',
      '          | Gateway: auth,  |',
      '          | routing, limits |',
      '          +--+-----+-----+--+',
      '             |     |     |',
      '        +----v+ +--v--+ +v----+',
      '        | CRM | | Docs| | Cal |',
      '        +-----+ +-----+ +-----+',
    ].join('\n'),
  },
  'load-balanced': {
    id: 'load-balanced',
    title: 'Load-balanced replicas',
    summary: 'Replicas behind a load balancer with shared state; stateless by default, no cookie affinity.',
    useWhen: ['Load beyond one instance', 'No single point of failure', 'Rolling deploys without dropping sessions'],
    limitations: ['Needs a shared store for sessions and rate limits', 'Stateful sessions need a record any replica can rebuild', 'MCP clients keep no cookies: cookie affinity does not work'],
    sessionModes: ['stateless', 'stateful'],
    stores: ['redis', 'database', 'hybrid'],
    deploy: ['docker', 'compose', 'k8s'],
    defaultDeploy: ['docker', 'compose', 'k8s'],
    replicated: true,
    diagram: [
      '              +--------+',
      '              | Client |',
      '              +---+----+',
      '                  |',
      '          +-------v-------+',
      '          | Load balancer |',
      '          +--+----+----+--+',
      '             |    |    |',
      '          +--v+ +-v-+ +v--+',
      '          |#1 | |#2 | |#3 |',
      '          +-+-+ +-+-+ +-+-+',
      '            +-----+-----+',
      '                  |',
      '           +------v------+',
      '           | Shared store|',
      '           +-------------+',
    ].join('\n'),
  },
  serverless: {
    id: 'serverless',
    title: 'Serverless / edge',
    summary: 'Stateless MCP over the web-standard transport on AWS Lambda or Vercel, a fresh server per invocation.',
    useWhen: ['Stateless tools', 'Infrequent or spiky usage', 'Cost that follows load', 'Global edge deployment'],
    limitations: ['Cold start latency', 'No persistent connections (no SSE streams)', 'Limited execution time per call', 'Stateless: no sessions, no server-to-client requests'],
    sessionModes: ['stateless'],
    stores: ['memory'],
    deploy: ['lambda', 'vercel'],
    defaultDeploy: ['lambda', 'vercel'],
    replicated: true,
    diagram: [
      '              +--------+',
      '              | Client |',
      '              +---+----+',
      '                  |',
      '          +-------v--------+',
      '          | API Gateway /  |',
      '          | Vercel edge    |',
      '          +--+----+----+---+',
      '             |    |    |',
      '          +--v-+ +v--+ +v---+',
      '          | fn | | fn| | fn |',
      '          +----+ +---+ +----+',
    ].join('\n'),
  },
  'multi-region': {
    id: 'multi-region',
    title: 'Multi-region',
    summary: 'Replicated deployments in several regions with a region-aware client and a global session store.',
    useWhen: ['Users in several regions', 'Availability beyond one region', 'Sessions that survive a region loss'],
    limitations: ['A session never crosses regions: failover re-initializes', 'A global database adds write latency', 'Several deployments to operate'],
    sessionModes: ['stateless', 'stateful'],
    stores: ['database', 'hybrid'],
    deploy: ['docker', 'k8s'],
    defaultDeploy: ['docker', 'k8s'],
    replicated: true,
    diagram: [
      '                 +--------+',
      '                 | Client |  (latency discovery, failover)',
      '                 +---+----+',
      '        +------------+------------+',
      '        |            |            |',
      '   +----v---+   +----v---+   +----v---+',
      '   |us-east |   |eu-west |   |ap-south|',
      '   |        |   |        |   |  east  |',
      '   +----+---+   +----+---+   +----+---+',
      '        +------------+------------+',
      '                     |',
      '             +-------v-------+',
      '             | Global DB     |',
      '             | (CockroachDB) |',
      '             +---------------+',
    ].join('\n'),
  },
};
