import { aggregation } from '../components/aggregation.js';
import { base } from '../components/base.js';
import { gateway as gatewayComponent } from '../components/gateway.js';
import { GUARD, mcpEdge, operations } from './diagram.js';
import type { PatternDefinition } from './types.js';

const REPLICAS = 3;

export const gateway: PatternDefinition = {
  id: 'gateway',
  title: 'Gateway',
  summary:
    'A central MCP gateway: an MCP server to clients and an MCP client to each backend, with auth, rate limits and routing.',
  useWhen: [
    'Central authentication and rate limiting',
    'Tool discovery and routing across teams',
    'Caching list results',
    'Backends owned by separate teams',
  ],
  limitations: [
    'An extra hop on every call',
    'The gateway is critical infrastructure: run it replicated',
    'Stateful: it holds MCP sessions both ways',
  ],
  terminalDiagram: [
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
  reach: 'replicas',
  sessionModes: ['stateful', 'stateless'],
  stores: ['memory', 'redis'],
  deploy: ['docker', 'compose', 'k8s'],
  defaultDeploy: ['docker', 'compose'],
  components: [base, aggregation, gatewayComponent],
  // Replicas need a shared store for sessions and rate limits; Compose and Kubernetes run them.
  instances: ({ store, deploy }) =>
    store !== 'memory' && deploy.some((target) => target === 'compose' || target === 'k8s')
      ? { count: REPLICAS, perInvocation: false, why: `${REPLICAS} gateway replicas share rate limits through Redis` }
      : {
          count: 1,
          perInvocation: false,
          why:
            store === 'memory'
              ? 'one gateway: the memory store keeps sessions and rate limits in its process'
              : 'one gateway container',
        },
  hasDependencies: true,
  requiredFiles: [{ file: 'gateway.config.json', why: 'the gateway reads its backends from it' }],
  mermaid: {
    mainNode: 'gw',
    lines: (options) => [
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
    ],
  },
  // The gateway serves its example backend's tools, not the base tools.
  slowTool: { name: 'slow', arguments: { steps: 5, ms: 300 } },
  addOns: ({ answers, storeName }) =>
    answers.peakRps >= 200 || answers.availability !== '99'
      ? [
          {
            id: 'gateway-replicas',
            text: `Run the gateway load-balanced: replicas behind a load balancer, sessions and rate limits shared in ${storeName}.`,
          },
        ]
      : [],
};
