import type { McpLayer, McpLayerDeps } from './layer-types.js';
import { createMcpServer } from './server.js';
import { createToolRunner } from './tool-runner.js';
import type { ExampleNote } from './tools.js';

export type { McpLayer, McpLayerDeps, ServedMcp } from './layer-types.js';

/** The example tools (src/mcp/tools.ts); a pattern that serves something else replaces this file. */
export async function openMcpLayer({ config, logger, metrics, info, tracing, bus }: McpLayerDeps): Promise<McpLayer> {
  const runTool = createToolRunner({ metrics, logger, timeoutMs: config.requestTimeoutMs, instrument: tracing?.instrumentTool });
  // Lives in this process: each instance keeps its own note, while the change events reach every instance's listeners.
  const note: ExampleNote = { text: 'Nothing noted yet.' };
  // Only the sessionful 2025 leg can carry the server-to-client requests a 2025 `ask_name` needs.
  const legacyRequests = config.sessionMode === 'stateful';
  return {
    createServer: (ctx) => createMcpServer({ info, runTool, note, bus, legacyRequests }, ctx),
    close: async () => {},
  };
}
