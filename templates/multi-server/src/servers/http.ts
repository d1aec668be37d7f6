import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { McpServer } from '@modelcontextprotocol/server';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createInflightTracker } from '../lifecycle/inflight.js';
import { createReadiness } from '../lifecycle/readiness.js';
import { createShutdown } from '../lifecycle/shutdown.js';
import { createSessionRegistry } from '../mcp/sessions.js';
import { createToolRunner, type ToolRunner } from '../mcp/tool-runner.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';

export interface HttpServerOptions {
  name: string;
  version?: string;
  build: (run: ToolRunner) => McpServer;
  /** The base server's variables (AUTH_MODE, API_KEYS, ALLOWED_ORIGINS, RATE_LIMIT_RPS, ...) apply here too. */
  env: NodeJS.ProcessEnv;
  /** The variable that replaces PORT (e.g. UNITS_PORT), so this server and the main one run side by side. */
  portVariable: string;
  defaultPort: number;
  logger?: Logger;
}

export interface RunningHttpServer {
  url: string;
  shutdown(reason: string): Promise<boolean>;
}

/**
 * Serves an example server over Streamable HTTP through the same hardened app as the main server
 * (`createApp`, the SDK's `createMcpHandler` behind it: 2026-07-28 and, unless MCP_PROTOCOL=modern,
 * 2025 clients): Origin and Host checks, auth, rate limit, body limit, logs, metrics, readiness and
 * graceful shutdown, so a domain server is production-shaped from the start.
 */
export async function serveOverHttp({ name, version = '1.0.0', build, env, portVariable, defaultPort, logger: given }: HttpServerOptions): Promise<RunningHttpServer> {
  const config = loadConfig({ ...env, PORT: env[portVariable] ?? String(defaultPort) });
  const logger = (given ?? createLogger(config.logLevel)).child({ server: name });
  const info = { name, version };
  const metrics = createMetrics();
  const inflight = createInflightTracker();
  const readiness = createReadiness({ onFailure: (check, error) => logger.warn({ check, err: error }, 'readiness check failed') });
  const run = createToolRunner({ metrics, logger, timeoutMs: config.requestTimeoutMs });
  const sessions =
    config.sessionMode === 'stateful'
      ? createSessionRegistry({ idleTimeoutMs: config.sessionIdleTimeoutMs, maxSessions: config.maxSessions, metrics, logger })
      : undefined;
  const app = createApp({
    config,
    logger,
    metrics,
    readiness,
    inflight,
    info,
    mcp: { createServer: () => build(run), close: async () => {} },
    sessions,
    remoteAddress: (c) => getConnInfo(c).remote.address,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(created as Server));
    created.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;
  logger.info({ url, mcp: `${url}/mcp`, authMode: config.auth.mode }, 'listening');

  const shutdown = createShutdown({
    readiness,
    inflight,
    stopAccepting: () => new Promise((resolve) => server.close(() => resolve())),
    closeIdleConnections: () => server.closeIdleConnections(),
    closers: [
      // Ends open subscriptions/listen streams (draining does not wait for them) and any exchange still running.
      { name: 'mcp-handler', close: () => app.mcp.close() },
      ...(sessions ? [{ name: 'sessions', close: () => sessions.closeAll() }] : []),
    ],
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
    logger,
  });
  return { url, shutdown };
}

/**
 * Entry point use: start, then drain and exit on SIGTERM/SIGINT (exit 1 on a bad configuration).
 * Reads `.env` like the main server (or ENV_FILE; `ENV_FILE=` turns it off); the environment wins.
 */
export async function runHttpServer(options: Omit<HttpServerOptions, 'logger' | 'env'>): Promise<void> {
  let running: RunningHttpServer;
  try {
    const file = process.env.ENV_FILE ?? (existsSync('.env') ? '.env' : '');
    if (file !== '') process.loadEnvFile(file);
    running = await serveOverHttp({ ...options, env: process.env });
  } catch (error) {
    process.stderr.write(`${options.name}: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    void running.shutdown(signal).then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
