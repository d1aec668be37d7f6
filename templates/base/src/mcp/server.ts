import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { PackageInfo } from '../package-info.js';
import { registerExampleTools } from './tools.js';
import type { ToolRunner } from './tool-runner.js';

export interface McpServerOptions {
  info: PackageInfo;
  runTool: ToolRunner;
}

/** A fresh McpServer with the example tools; cheap enough to build per request in stateless mode. */
export function createMcpServer({ info, runTool }: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: info.name, version: info.version },
    { instructions: 'Example MCP server: echo, add and slow_count (long-running, reports progress).' },
  );
  registerExampleTools(server, runTool);
  return server;
}
