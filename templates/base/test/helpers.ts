import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, Client, PROTOCOL_VERSION_META_KEY, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { start, type RunningServer } from '../src/start.js';
import { OWN_DIR, OWN_ID } from './own.js';

export const API_KEY = 'test-key-0123456789abcdef';
/**
 * The session store this project was generated with (mcp-arch.json). With the memory store a
 * session lives in this process only; with any other, the store holds its record.
 */
export const PROJECT_STORE = (JSON.parse(readFileSync(new URL('../mcp-arch.json', import.meta.url), 'utf8')) as { store: string }).store;
/** The protocol posture this project was generated with (mcp-arch.json): its MCP_PROTOCOL default. */
export const PROJECT_PROTOCOL = (JSON.parse(readFileSync(new URL('../mcp-arch.json', import.meta.url), 'utf8')) as { protocol: string }).protocol;
export const OTHER_API_KEY = 'other-key-0123456789abcdef';

/**
 * This test file's own namespace in the stores it would share (a project ignores the variables
 * of stores it does not have): test files running at once, and the suites of other projects on
 * the same machine, would otherwise share rate-limit buckets (keyed on 127.0.0.1), session
 * records and change events. In Redis, a key prefix: every key it leaves expires. For a database,
 * a SQLite file in a folder removed after the file's tests, instead of the project's own
 * data/sessions.db. A test that names its own REDIS_KEY_PREFIX or DATABASE_URL keeps it.
 */
export const OWN_STORE_KEYS = {
  REDIS_KEY_PREFIX: `test:${OWN_ID}:`,
  DATABASE_URL: `file:${join(OWN_DIR, 'sessions.db')}`,
};

export interface TestServer extends RunningServer {
  mcpUrl: string;
  /** Every line the server logged, parsed (a line that is not JSON makes this throw). */
  logLines(): Array<Record<string, unknown>>;
  rawLogs(): string;
  close(): Promise<void>;
}

/** The real server, in this process, on 127.0.0.1 and a random port. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  // Both eras unless a test asks for another posture: the suites drive 2025 and 2026-07-28 clients alike.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000', MCP_PROTOCOL: 'dual', ...OWN_STORE_KEYS, ...env });
  const lines: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void lines.push(line) });
  const running = await start(config, { logger });
  return {
    ...running,
    mcpUrl: `${running.url}/mcp`,
    logLines: () => lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    rawLogs: () => lines.join(''),
    close: async () => {
      await running.shutdown('test finished');
    },
  };
}

/** The protocol revisions a test client speaks: 2026-07-28 (modern) or the 2025 `initialize` handshake (legacy). */
export type Era = 'modern' | 'legacy';
export const ERAS: Era[] = ['modern', 'legacy'];
export const MODERN_VERSION = '2026-07-28';

export interface ClientOptions {
  /** modern (default): pinned to 2026-07-28, no fallback; legacy: the 2025 handshake. */
  era?: Era;
  /** Answers the server's questions (elicitation) with this; undefined: the client declares no elicitation. */
  answer?: (message: string) => { action: 'accept'; content: Record<string, string> } | { action: 'decline' | 'cancel' };
}

/** The SDK's client, in the era asked for. */
export async function connectClient(url: string, headers: Record<string, string> = {}, { era = 'modern', answer }: ClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: 'test-client', version: '1.0.0' },
    {
      versionNegotiation: { mode: era === 'modern' ? { pin: MODERN_VERSION } : 'legacy' },
      capabilities: answer ? { elicitation: { form: {} } } : {},
    },
  );
  if (answer) {
    client.setRequestHandler('elicitation/create', async (request) => answer(request.params.message));
  }
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

/** The headers and `_meta` a 2026-07-28 request carries, for raw requests. */
export function modernRequest(method: string, params: Record<string, unknown> = {}, id: number | string = 1, name?: string) {
  const meta: Record<string, unknown> = {
    [PROTOCOL_VERSION_META_KEY]: MODERN_VERSION,
    [CLIENT_INFO_META_KEY]: { name: 'raw-test', version: '1.0.0' },
    [CLIENT_CAPABILITIES_META_KEY]: {},
  };
  return {
    headers: {
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    },
    body: {
      jsonrpc: '2.0',
      id,
      method,
      params: { ...params, _meta: meta },
    },
  };
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
} as const;

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export function mcpPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** JSON-RPC messages of an SSE or JSON response body. */
export async function readMessages(response: Response): Promise<Array<Record<string, unknown>>> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 6)
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
  }
  return [JSON.parse(text) as Record<string, unknown>];
}

/** fetch cannot set Host; node:http can. */
export function rawRequest(
  url: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Value of one sample in Prometheus text format, 0 when absent. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, { timeoutMs = 5000, intervalMs = 25 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
