import { aggregation } from '../components/aggregation.js';
import { base } from '../components/base.js';
import { multiServer as multiServerComponent } from '../components/multi-server.js';
import { GUARD, mcpEdge, operations } from './diagram.js';
import type { PatternDefinition } from './types.js';

export const multiServer: PatternDefinition = {
  id: 'multi-server',
  title: 'Multi-server aggregation',
  summary: 'One client aggregates tools from several independent MCP servers, namespaced per server.',
  useWhen: [
    'Composing tools from several domains',
    'Agents with diverse capabilities',
    'Servers maintained independently',
  ],
  limitations: [
    'Every client carries the aggregation logic and every backend credential',
    'No central auth, rate limiting or audit',
    'Each client opens a connection to every server',
  ],
  terminalDiagram: [
    '  +---------------------------------------+',
    '  | Client: aggregation layer              |',
    '  |  files__read  github__issue  slack__post|',
    '  +----+-------------+-------------+------+',
    '       |             |             |',
    '  +----v----+   +----v----+   +----v----+',
    '  | Server A|   | Server B|   | Server C|',
    '  +---------+   +---------+   +---------+',
  ].join('\n'),
  reach: 'one',
  sessionModes: ['stateless', 'stateful'],
  stores: ['memory'],
  deploy: ['docker'],
  defaultDeploy: ['docker'],
  components: [base, aggregation, multiServerComponent],
  // Several example servers run, but each is a different program with one instance.
  instances: () => ({ count: 1, perInvocation: false, why: 'each example server runs one instance' }),
  hasDependencies: true,
  requiredFiles: [{ file: 'mcp-servers.json', why: 'the aggregation client reads its servers from it' }],
  mermaid: {
    mainNode: 'server',
    lines: (options) => [
      '  agent["agent CLI"] --> lib["aggregation library: mcp-servers.json"]',
      `  lib -->|${mcpEdge(options)}| server`,
      '  lib -->|"MCP over stdio"| stdioServer["example stdio server"]',
      '  lib -->|"MCP over Streamable HTTP"| httpServer["example HTTP server"]',
      `  subgraph server["${options.name} (example server)"]`,
      `    ${GUARD} --> mcp["MCP server: tools"]`,
      '  end',
      ...operations('server'),
    ],
  },
  slowTool: { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } },
  addOns: ({ answers }) =>
    answers.centralAuth || answers.consumers !== 'one-app'
      ? [{ id: 'gateway-front', text: 'Put a gateway in front when more than one client needs the same servers.' }]
      : [],
};
