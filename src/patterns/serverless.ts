import { base } from '../components/base.js';
import { serverless as serverlessComponent } from '../components/serverless.js';
import { mcpEdge } from './diagram.js';
import type { PatternDefinition, PatternOptions } from './types.js';

function lines(options: PatternOptions): string[] {
  const out: string[] = [];
  const functions: string[] = [];
  if (options.deploy.includes('lambda')) {
    out.push(`  client["MCP clients"] -->|${mcpEdge(options)}| apigw["API Gateway HTTP API / Function URL"]`);
    out.push('  apigw --> lambda["AWS Lambda: fresh MCP server per invocation, JSON responses"]');
    functions.push('lambda');
  }
  if (options.deploy.includes('vercel')) {
    out.push(
      `  client["MCP clients"] -->|${mcpEdge(options)}| vercel["Vercel function api/mcp: fresh MCP server per request"]`,
    );
    functions.push('vercel');
  }
  if (functions.length === 0) {
    out.push(`  client["MCP clients"] -->|${mcpEdge(options)}| server["${options.name} (Node, stateless)"]`);
    functions.push('server');
  }
  if (options.authMode === 'jwt') {
    for (const fn of functions) out.push(`  ${fn} -.->|"JWKS, cached per instance"| idp["authorization server"]`);
  }
  return out;
}

export const serverless: PatternDefinition = {
  id: 'serverless',
  title: 'Serverless / edge',
  summary: 'Stateless MCP over the web-standard transport on AWS Lambda or Vercel, a fresh server per invocation.',
  useWhen: ['Stateless tools', 'Infrequent or spiky usage', 'Cost that follows load', 'Global edge deployment'],
  limitations: [
    'Cold start latency',
    'No persistent connections (no SSE streams)',
    'Limited execution time per call',
    'Stateless: no sessions, no server-to-client requests',
  ],
  terminalDiagram: [
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
  reach: 'functions',
  sessionModes: ['stateless'],
  stores: ['memory'],
  deploy: ['lambda', 'vercel'],
  defaultDeploy: ['lambda', 'vercel'],
  components: [base, serverlessComponent],
  instances: () => ({
    count: 1,
    perInvocation: true,
    why: 'serverless platforms run one instance per concurrent invocation',
  }),
  hasDependencies: false,
  requiredFiles: [],
  mermaid: { mainNode: 'client', lines },
  slowTool: { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } },
  addOns: ({ answers }) =>
    answers.durability !== 'may-lose'
      ? [
          {
            id: 'external-state',
            text: 'Keep durable state outside the function (a database the tools call), never in the invocation.',
          },
        ]
      : [],
};
