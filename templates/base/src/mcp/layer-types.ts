import type { AuthInfo, JSONRPCMessage, JSONRPCRequest, McpRequestContext, McpServer, Server, ServerEventBus } from '@modelcontextprotocol/server';
import type { Config } from '../config.js';
import type { Readiness } from '../lifecycle/readiness.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { PackageInfo } from '../package-info.js';

/** What `/mcp` serves one request (or one 2025 session) with: `McpServer` or the SDK's low-level `Server`. */
export type ServedMcp = McpServer | Server;

export interface McpLayerDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Dependencies of the layer (backends, stores) register their readiness checks here. */
  readiness: Readiness;
  info: PackageInfo;
  tracing?: Pick<Tracing, 'instrumentTool'>;
  /**
   * The bus the `subscriptions/listen` streams of `/mcp` subscribe to (shared by the instances
   * when a store carries it). A layer publishes changes of what it serves here.
   */
  bus?: ServerEventBus;
}

/**
 * Checks a 2026-07-28 request before it is served; a response it returns answers the request
 * instead. The SDK runs the checks a tool's schema asks for (`Mcp-Param-*` headers) only for an
 * `McpServer`: a layer serving the low-level `Server` (the gateway) brings its own.
 */
export type RequestCheck = (message: JSONRPCRequest, headers: Headers) => Response | undefined | Promise<Response | undefined>;

/** One JSON-RPC message of a `/mcp` POST, offered to the layer before a server session serves it. */
export interface ForwardRequest {
  message: JSONRPCMessage;
  /** 'modern': a 2026-07-28 request; 'legacy': a 2025 one, of a session (`session`) or served on its own. */
  era: 'modern' | 'legacy';
  /** The server of the 2025 session the message belongs to (what `createServer` returned for it). */
  session?: McpServer | Server;
  headers: Headers;
  authInfo?: AuthInfo;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/**
 * Answers a message without a server session, or returns undefined to let the session serve it. A
 * gateway forwards a tool call to its backend as it came (a proxy's hop) instead of rebuilding it
 * through a server and a client session; what it cannot forward that way it leaves to the session.
 */
export type Forward = (request: ForwardRequest) => Promise<Response | undefined> | Response | undefined;

/**
 * The MCP side of the app: what a request (or a session of the sessionful 2025 leg) talks to.
 * This is the one seam a pattern replaces: here the example tools, in a gateway the backends.
 */
export interface McpLayer {
  /** A fresh server for one request (`ctx.era` names its protocol era) or one 2025 session. */
  createServer(ctx: McpRequestContext): McpServer | Server;
  /** Runs before each 2026-07-28 request is served, when the layer has checks the SDK does not make for its servers. */
  checkRequest?: RequestCheck;
  /** Runs before a server session serves a message, when the layer can answer some messages itself (McpLayer.forward). */
  forward?: Forward;
  /** Releases what the layer holds (connections, child processes); runs during shutdown, after sessions close. */
  close(): Promise<void>;
}
