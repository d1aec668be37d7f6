import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { LogLevel } from '../config.js';
import { createToolRunner, type ToolRunner } from '../mcp/tool-runner.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface StdioServerOptions {
  name: string;
  build: (run: ToolRunner, logger: Logger) => McpServer | Promise<McpServer>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Serves one MCP server on stdin/stdout. stdout carries the protocol, so logs go to stderr
 * (the client reads them; writes to a pipe are synchronous, so a last line is never lost). The process ends when its client closes stdin or sends SIGTERM,
 * so a client that exits never leaves it behind.
 */
export async function serveOverStdio({ name, build, env = process.env }: StdioServerOptions): Promise<void> {
  const level = (LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevel) : 'info';
  const logger = createLogger(level, process.stderr).child({ server: name });
  const timeoutMs = Number(env.REQUEST_TIMEOUT_MS) > 0 ? Number(env.REQUEST_TIMEOUT_MS) : 30_000;
  // Metrics are not served over stdio; the runner still applies the timeout, cancellation and safe errors.
  const run = createToolRunner({ metrics: createMetrics({ defaultMetrics: false }), logger, timeoutMs });
  let server: McpServer;
  try {
    server = await build(run, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    process.exit(1);
  }

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    void server.close().finally(() => process.exit(0));
  };
  process.stdin.once('end', () => stop('stdin closed'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  await server.connect(new StdioServerTransport());
  logger.info({ pid: process.pid }, 'serving MCP on stdio');
}
