import type { McpLayer, McpLayerDeps } from './layer-types.js';
import { createMcpServer } from './server.js';
import { createToolRunner } from './tool-runner.js';

export type { McpLayer, McpLayerDeps, ServedMcp } from './layer-types.js';

/** The example tools (src/mcp/tools.ts); a pattern that serves something else replaces this file. */
export async function openMcpLayer({ config, logger, metrics, info, tracing }: McpLayerDeps): Promise<McpLayer> {
  const runTool = createToolRunner({ metrics, logger, timeoutMs: config.requestTimeoutMs, instrument: tracing?.instrumentTool });
  return {
    createServer: () => createMcpServer({ info, runTool }),
    close: async () => {},
  };
}
