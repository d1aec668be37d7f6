import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Config } from '../config.js';
import type { Readiness } from '../lifecycle/readiness.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { PackageInfo } from '../package-info.js';

/** What the transport needs of an MCP server: `McpServer` and the SDK's low-level `Server` both fit. */
export interface ServedMcp {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

export interface McpLayerDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Dependencies of the layer (backends, stores) register their readiness checks here. */
  readiness: Readiness;
  info: PackageInfo;
  tracing?: Pick<Tracing, 'instrumentTool'>;
}

/**
 * The MCP side of the app: what a session (stateful) or a request (stateless) talks to.
 * This is the one seam a pattern replaces: here the example tools, in a gateway the backends.
 */
export interface McpLayer {
  /** A fresh server for one session or one stateless request. */
  createServer(): ServedMcp;
  /** Releases what the layer holds (connections, child processes); runs during shutdown, after sessions close. */
  close(): Promise<void>;
}
