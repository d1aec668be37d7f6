import { base } from '../components/base.js';
import { GUARD, mcpEdge, operations } from './diagram.js';
import type { PatternDefinition } from './types.js';

export const single: PatternDefinition = {
  id: 'single',
  title: 'Single server',
  summary: 'One MCP server that clients reach directly over Streamable HTTP.',
  useWhen: ['Prototyping and development', 'A single-purpose application', 'One tool domain with direct access'],
  limitations: [
    'No fault tolerance: one instance is a single point of failure',
    'No tool aggregation across domains',
    'Scales only vertically',
  ],
  terminalDiagram: [
    '  +--------+   Streamable HTTP /mcp   +------------+',
    '  | Client | -----------------------> | MCP server |',
    '  +--------+                          +------------+',
  ].join('\n'),
  reach: 'one',
  sessionModes: ['stateless', 'stateful'],
  stores: ['memory', 'database'],
  deploy: ['docker'],
  defaultDeploy: ['docker'],
  components: [base],
  instances: () => ({ count: 1, perInvocation: false, why: 'a single server runs one instance' }),
  hasDependencies: false,
  requiredFiles: [],
  mermaid: {
    mainNode: 'server',
    lines: (options) => [
      `  client["MCP client"] -->|${mcpEdge(options)}| server`,
      `  subgraph server["${options.name}"]`,
      '    direction TB',
      `    ${GUARD} --> mcp["MCP server: tools"]`,
      `    mcp --> sessions[("sessions: ${options.sessionMode}, ${options.store}")]`,
      '  end',
      ...operations('server'),
    ],
  },
  slowTool: { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } },
};
