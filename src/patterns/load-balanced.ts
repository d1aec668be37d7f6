import { base } from '../components/base.js';
import { loadBalanced as loadBalancedComponent } from '../components/load-balanced.js';
import { mcpEdge, operations, storeNode } from './diagram.js';
import type { PatternDefinition } from './types.js';

const REPLICAS = 3;

export const loadBalanced: PatternDefinition = {
  id: 'load-balanced',
  title: 'Load-balanced replicas',
  summary: 'Replicas behind a load balancer with shared state; stateless by default, no cookie affinity.',
  useWhen: ['Load beyond one instance', 'No single point of failure', 'Rolling deploys without dropping sessions'],
  limitations: [
    'Needs a shared store for sessions and rate limits',
    'Stateful sessions need a record any replica can rebuild',
    'MCP clients keep no cookies: cookie affinity does not work',
  ],
  terminalDiagram: [
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
  reach: 'replicas',
  sessionModes: ['stateless', 'stateful'],
  stores: ['redis', 'database', 'hybrid'],
  deploy: ['docker', 'compose', 'k8s'],
  defaultDeploy: ['docker', 'compose', 'k8s'],
  components: [base, loadBalancedComponent],
  instances: () => ({
    count: REPLICAS,
    perInvocation: false,
    why: `the load-balanced pattern runs ${REPLICAS} replicas behind a load balancer`,
  }),
  hasDependencies: true,
  requiredFiles: [],
  mermaid: {
    mainNode: 'r1',
    lines: (options) => {
      const replicas = Array.from({ length: REPLICAS }, (_, index) => `r${index + 1}`);
      return [
        `  client["MCP clients"] -->|${mcpEdge(options)}| lb["nginx / Ingress (no cookie affinity)"]`,
        ...replicas.map((id, index) => `  lb --> ${id}["replica ${index + 1}: ${options.sessionMode}"]`),
        `  ${replicas.join(' & ')} -->|"session records (any replica rebuilds a session), shared rate limits"| ${storeNode(options)}`,
        ...operations('r1'),
      ];
    },
  },
  slowTool: { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } },
};
