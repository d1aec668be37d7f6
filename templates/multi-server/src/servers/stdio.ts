import type { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { LogLevel } from '../config.js';
import { createToolRunner, type ToolRunner } from '../mcp/tool-runner.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface StdioServerOptions<Deps> {
  name: string;
  /** What the server needs before it answers (a store, say); a failure here stops the process with exit 1. */
  prepare: (logger: Logger) => Deps | Promise<Deps>;
  /** Builds the server for the connection: the same factory serves 2026-07-28 and 2025 clients. */
  build: (run: ToolRunner, deps: Deps) => McpServer;
  env?: NodeJS.ProcessEnv;
}

/**
 * Serves one MCP server on stdin/stdout with the SDK's `serveStdio`, which answers both a
 * 2026-07-28 client (`server/discover`) and a 2025 one (`initialize`) from the same factory.
 * stdout carries the protocol, so logs go to stderr (the client reads them; writes to a pipe are
 * synchronous, so a last line is never lost). The process ends when its client closes stdin or
 * sends SIGTERM, so a client that exits never leaves it behind.
 */
export async function serveOverStdio<Deps>({ name, prepare, build, env = process.env }: StdioServerOptions<Deps>): Promise<void> {
  const level = (LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevel) : 'info';
  const logger = createLogger(level, process.stderr).child({ server: name });
  const timeoutMs = Number(env.REQUEST_TIMEOUT_MS) > 0 ? Number(env.REQUEST_TIMEOUT_MS) : 30_000;
  // Metrics are not served over stdio; the runner still applies the timeout, cancellation and safe errors.
  const run = createToolRunner({ metrics: createMetrics({ defaultMetrics: false }), logger, timeoutMs });
  let deps: Deps;
  try {
    deps = await prepare(logger);
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    process.exit(1);
  }

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    void handle.close().finally(() => process.exit(0));
  };
  const handle = serveStdio(() => build(run, deps), { onerror: (error) => logger.warn({ err: error }, 'stdio transport error') });
  process.stdin.once('end', () => stop('stdin closed'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logger.info({ pid: process.pid }, 'serving MCP on stdio');
}
