import type { Component } from './types.js';

/**
 * The multi-server pattern: small example MCP servers (units over Streamable HTTP, notes and
 * text over stdio, each serving 2026-07-28 and 2025 clients), `mcp-servers.json` naming them,
 * and an agent CLI that aggregates them through the aggregation core (namespaced tools,
 * per-server failure isolation). Its tests reach a 2025-only server built on the v1 SDK.
 */
export const multiServer: Component = {
  id: 'multi-server',
  templates: ['multi-server'],
  dependencies: ['@modelcontextprotocol/client'],
  devDependencies: ['@modelcontextprotocol/sdk'],
  readme: 'readme-multi-server',
  scripts: {
    agent: 'node dist/agent.js',
    'server:units': 'node dist/servers/units/main.js',
  },
  env: [
    {
      name: 'UNITS_PORT',
      default: '3101',
      description:
        'Port of the example units server (npm run server:units); it reads the other variables like the main server',
    },
  ],
  layout: {
    'src/servers/': 'the example MCP servers: units (HTTP), notes and text (stdio)',
    'src/agent.ts': 'the agent CLI entry',
    'src/agent/': 'the agent: commands, output, servers file',
    'mcp-servers.json': 'the servers the agent aggregates, in the mcpServers format',
    'data/': 'notes of the notes server',
  },
};
