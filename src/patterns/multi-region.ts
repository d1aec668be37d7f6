import { base } from '../components/base.js';
import { k8sRegions, multiRegion as multiRegionComponent } from '../components/multi-region.js';
import { operations, storeNode } from './diagram.js';
import type { PatternDefinition } from './types.js';

export const multiRegion: PatternDefinition = {
  id: 'multi-region',
  title: 'Multi-region',
  summary: 'Replicated deployments in several regions with a region-aware client and a global session store.',
  useWhen: ['Users in several regions', 'Availability beyond one region', 'Sessions that survive a region loss'],
  limitations: [
    'A session never crosses regions: failover re-initializes',
    'A global database adds write latency',
    'Several deployments to operate',
  ],
  terminalDiagram: [
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
  reach: 'regions',
  sessionModes: ['stateless', 'stateful'],
  stores: ['database', 'hybrid'],
  deploy: ['docker', 'k8s'],
  defaultDeploy: ['docker', 'k8s'],
  components: [base, multiRegionComponent],
  deployComponents: { k8s: [k8sRegions] },
  instances: () => ({ count: 3, perInvocation: false, why: 'the multi-region pattern runs an instance per region' }),
  hasDependencies: true,
  requiredFiles: [{ file: 'regions.json', why: 'the region-aware client reads its regions from it' }],
  mermaid: {
    mainNode: 'us',
    lines: (options) => [
      '  client["region-aware client (regions.json)"] -->|"MCP session in the fastest healthy region"| us["region us-east: replicas"]',
      '  client -.->|"failover: new session"| eu["region eu-west: replicas"]',
      '  client -.->|"failover: new session"| ap["region ap-southeast: replicas"]',
      `  us & eu & ap --> ${storeNode(options, 'global Postgres-compatible store (CockroachDB)')}`,
      ...operations('us'),
    ],
  },
  slowTool: { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } },
  addOns: ({ answers }) => [
    ...(answers.domains >= 2 && (answers.centralAuth || answers.consumers !== 'one-app')
      ? [
          {
            id: 'gateway-per-region',
            text: `Run a gateway in each region for central auth and routing across the ${answers.domains} tool domains.`,
          },
        ]
      : []),
    {
      id: 'regional-load-balancing',
      text: 'Each region is a load-balanced deployment; the client fails over between regions.',
    },
  ],
};
