import { Client, isJSONRPCNotification, ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode, SdkHttpError, StreamableHTTPClientTransport, type ClientCapabilities, type PriorDiscovery, type Transport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { withOwnSignal } from '../http/own-signal.js';
import { withBearerToken } from './client-credentials.js';
import type { ServerConfig } from './config.js';
import { backendTokens, tokenForRequest } from './token-exchange.js';

/** What the core logs through; pino fits, and so does a console-like object with these methods. */
export interface AggregateLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: AggregateLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ConnectOptions {
  clientInfo: { name: string; version: string };
  /** Advertised to the backend: only what the caller can really serve. */
  capabilities: ClientCapabilities;
  /** Registers request and notification handlers before the backend is first spoken to. */
  setup?: (client: Client) => void;
  /** Runs once when the connection ends by itself (a stdio process exited, the transport failed). */
  onClosed?: () => void;
  /**
   * The protocol era this backend was found to speak (from an earlier connection): skips the
   * `server/discover` probe. Without it the client probes: 2026-07-28 first, else the 2025 `initialize`.
   */
  prior?: PriorDiscovery;
  logger: AggregateLogger;
  timeoutMs: number;
  /** Aborting ends the attempt at once: a stdio child already spawned is stopped, a handshake in progress fails. */
  signal?: AbortSignal;
}

/** One live MCP client connection to one backend: a 2026-07-28 one (stateless) or a 2025 session. */
export interface BackendClient {
  client: Client;
  readonly closed: boolean;
  /** Ends the connection: DELETE for a 2025 HTTP session (best effort), stdin close then SIGTERM/SIGKILL for stdio. */
  close(): Promise<void>;
}

/**
 * A stdio backend's process, whose era is probed in place. The SDK probes its own stdio transport on
 * a sibling process it throws away and only then starts the one it keeps: two starts in a row for
 * every connection. A transport of another class it probes on the process itself (the SDK's rule
 * for transports it cannot clone), so a server that answers `server/discover`, or refuses it as an
 * unknown method, starts once. A server that exits on a request before `initialize` ends that
 * attempt, and connectBackend starts it again for the 2025 handshake alone.
 */
class StdioBackendTransport extends StdioClientTransport {}

/**
 * Connects to one backend and agrees on a protocol version: `server/discover` first (2026-07-28),
 * the 2025 `initialize` handshake when the backend does not know it. Credentials come only from
 * the servers file (headers, env, auth): nothing of the caller's own request is passed on (with
 * token exchange, a token the authorization server issued for the caller is, never the caller's own).
 */
export async function connectBackend(server: ServerConfig, options: ConnectOptions): Promise<BackendClient> {
  try {
    return await connectOnce(server, options, false);
  } catch (error) {
    if (server.target.transport !== 'stdio' || options.prior || !closedOnProbe(error) || options.signal?.aborted) throw error;
    options.logger.debug({ backend: server.name }, 'backend exited on server/discover: started again for the 2025 handshake');
    return connectOnce(server, options, true);
  }
}

/**
 * The SDK's verdict on a stdio process that exited when asked `server/discover`, probed in place.
 * The SDK gives it the code of every negotiation failure, so only its message tells it apart.
 */
function closedOnProbe(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed && /closed during the server\/discover probe/.test(error.message);
}

async function connectOnce(server: ServerConfig, options: ConnectOptions, legacyOnly: boolean): Promise<BackendClient> {
  const client = new Client(options.clientInfo, {
    capabilities: options.capabilities,
    versionNegotiation: { mode: legacyOnly ? 'legacy' : 'auto' },
    // A relay keeps its own list cache (until list_changed) and must not serve one client's
    // resource to another from the SDK's response cache: every request goes to the backend.
    defaultCacheTtlMs: 0,
    // A listing reads every page up to the backend's `maxListPages`; beyond it, the backend's pagination is taken as endless.
    listMaxPages: server.maxListPages,
  });
  options.setup?.(client);
  // A backend that asks for what this connection did not declare is told why nobody answers.
  client.fallbackRequestHandler = async (request) => {
    const capability = UNDECLARED[request.method];
    throw new ProtocolError(
      ProtocolErrorCode.MethodNotFound,
      capability
        ? `${request.method} cannot be answered: the client this connection acts for did not declare the "${capability}" capability`
        : `Method not found: ${request.method}`,
    );
  };
  const target = server.target;
  let closing = false;
  let closed = false;
  let http: StreamableHTTPClientTransport | undefined;
  const tokens = backendTokens(server);
  const transport =
    target.transport === 'http'
      ? (http = new StreamableHTTPClientTransport(target.url, {
          requestInit: { headers: target.headers },
          // With `auth`, each request carries the gateway's own token for this backend, or (token
          // exchange) the one exchanged for the client the request is made for.
          fetch: tokens ? withBearerToken(() => tokenForRequest(tokens), withOwnSignal()) : withOwnSignal(),
          // A lost standalone stream is re-opened by the SDK a few times; after that the health check notices.
          reconnectionOptions: { initialReconnectionDelay: 500, maxReconnectionDelay: 5000, reconnectionDelayGrowFactor: 2, maxRetries: 3 },
        }))
      : new StdioBackendTransport({
          command: target.command,
          args: target.args,
          // Only a safe default set (PATH, HOME, ...) plus what the servers file names: no secrets leak to children.
          env: { ...getDefaultEnvironment(), ...target.env },
          cwd: target.cwd,
          stderr: 'pipe',
        });
  if (transport instanceof StdioClientTransport) {
    // Read stderr so a chatty child never blocks on a full pipe; its lines become our log lines.
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') options.logger.debug({ backend: server.name, stderr: line.slice(0, 2000) }, 'backend stderr');
    });
  }
  client.onclose = () => {
    closed = true;
    if (!closing) options.onClosed?.();
  };
  client.onerror = (error) => options.logger.debug({ backend: server.name, err: error }, 'backend transport error');
  const abort = () => void transport.close().catch(() => {});
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    options.signal?.throwIfAborted();
    await client.connect(transport, { timeout: options.timeoutMs, ...(options.prior ? { prior: options.prior } : {}) });
    options.signal?.throwIfAborted();
  } catch (error) {
    closing = true;
    await client.close().catch(() => {});
    // A child the transport spawned ends with the failed attempt, whatever stage the handshake reached.
    await transport.close().catch(() => {});
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  keepNotificationsBeforeResponses(transport);
  return {
    client,
    get closed() {
      return closed;
    },
    async close() {
      if (closing) return;
      closing = true;
      if (http?.sessionId) {
        // Tell the backend the session is over so it frees it now, not at its idle timeout.
        await Promise.race([http.terminateSession().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
      await client.close().catch(() => {});
    },
  };
}

/** Requests a backend may send back, by the client capability that allows them. */
const UNDECLARED: Record<string, string> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

/** What to tell the next connection to this backend, so it need not probe again. */
export function priorOf(client: Client): PriorDiscovery | undefined {
  const era = client.getProtocolEra();
  if (era === 'legacy') return { kind: 'legacy' };
  const discover = client.getDiscoverResult();
  return era === 'modern' && discover ? { kind: 'modern', discover } : undefined;
}

/**
 * The backend no longer knows our 2025 session (it restarted): a new `initialize` is needed. The
 * specification answers an unknown session with 404; many servers answer 400 naming the session
 * ("No valid session ID provided", "Invalid or expired session", "Server not initialized").
 */
export function isSessionLost(error: unknown): boolean {
  if (!(error instanceof SdkHttpError)) return false;
  if (error.status === 404) return true;
  if (error.status !== 400) return false;
  const text = `${error.message} ${String(error.data.text ?? '')}`;
  return UNKNOWN_SESSION.test(text) || NOT_INITIALIZED.test(text);
}

/** A 400 that says the session is unknown, invalid, expired or missing (not a malformed request). */
const UNKNOWN_SESSION = /\b(?:unknown|invalid|no valid|expired|missing|not found|terminated)\b[^.\n]{0,40}\bsession|\bsession\b[^.\n]{0,40}\b(?:unknown|invalid|not found|expired|no longer|terminated)\b/i;
const NOT_INITIALIZED = /\bserver not initiali[sz]ed\b/i;

/** The connection itself failed (closed, not connected, could not send), as opposed to an answer of the backend. */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === SdkErrorCode.ConnectionClosed || code === SdkErrorCode.NotConnected || code === SdkErrorCode.SendFailed || error instanceof SdkHttpError;
}

/**
 * A response that follows a notification in the same turn is delivered on the next turn, after
 * the notification's handler: when a backend's last progress notification and its result arrive
 * in one read (typical over stdio), that progress still reaches the caller before the result.
 */
function keepNotificationsBeforeResponses(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  let notifiedThisTurn = false;
  transport.onmessage = (message, extra) => {
    if (isJSONRPCNotification(message)) {
      if (!notifiedThisTurn) {
        notifiedThisTurn = true;
        setImmediate(() => (notifiedThisTurn = false));
      }
      deliver(message, extra);
    } else if (notifiedThisTurn && !('method' in message)) {
      setImmediate(() => deliver(message, extra));
    } else {
      deliver(message, extra);
    }
  };
}
