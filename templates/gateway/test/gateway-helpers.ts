import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client';
import { isInitializeRequest, Server, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { startServer, type TestServer } from './helpers.js';
import { tempDir } from './own.js';

export const STDIO_BACKEND = 'examples/backends/stdio-backend.mjs';
export const BACKEND_TOKEN = 'backend-own-credential-0123456789';

/** The example HTTP backend in its own process, on a given or random port of 127.0.0.1. */
export interface HttpBackend {
  port: number;
  url: string;
  process: ChildProcess;
  kill(): Promise<void>;
}

export async function startHttpBackend({ port = 0, name = 'http', token }: { port?: number; name?: string; token?: string } = {}): Promise<HttpBackend> {
  const child = spawn(process.execPath, ['examples/backends/http-backend.mjs'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), BACKEND_NAME: name, ...(token ? { BACKEND_TOKEN: token } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`http backend exited with ${code}`)));
  });
  return {
    port: listening,
    url: `http://127.0.0.1:${listening}/mcp`,
    process: child,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Starts the gateway in this process with the given servers file (GATEWAY_CONFIG is read at start). */
export async function startGateway(servers: Record<string, unknown>, env: Record<string, string> = {}): Promise<TestServer> {
  const dir = tempDir('gateway');
  const file = join(dir, 'gateway.config.json');
  writeFileSync(file, JSON.stringify({ mcpServers: servers }));
  // The gateway reads its own variables (GATEWAY_*) from the environment when it starts.
  const gatewayEnv: Record<string, string> = { GATEWAY_HEALTH_INTERVAL_MS: '200', ...Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('GATEWAY_'))), GATEWAY_CONFIG: file };
  const previous = Object.fromEntries(Object.keys(gatewayEnv).map((name) => [name, process.env[name]]));
  Object.assign(process.env, gatewayEnv);
  try {
    return await startServer({ SESSION_MODE: 'stateful', AUTH_MODE: 'none', RATE_LIMIT_RPS: '0', ...env });
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** A stdio backend entry whose processes can be found (and counted) by a unique tag. */
export function stdioBackend(name: string, extra: Record<string, unknown> = {}): { entry: Record<string, unknown>; tag: string } {
  const tag = `tag-${randomUUID()}`;
  return { entry: { command: process.execPath, args: [STDIO_BACKEND, tag], env: { BACKEND_NAME: name }, ...extra }, tag };
}

/** Ids of the processes alive now whose command line contains the tag. */
export function pidsWith(tag: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(tag) && !line.includes('ps -eo')).map((line) => Number.parseInt(line.trim(), 10));
}

/** Processes alive now whose command line contains the tag. */
export function processesWith(tag: string): number {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(tag) && !line.includes('ps -eo')).length;
}

export interface ClientOptions {
  headers?: Record<string, string>;
  capabilities?: ClientCapabilities;
  setup?: (client: Client) => void;
  /** 'legacy' (default): a 2025 session; 'modern': 2026-07-28 requests, each on its own. */
  era?: 'legacy' | 'modern';
}

export async function connect(url: string, { headers = {}, capabilities = {}, setup, era = 'legacy' }: ClientOptions = {}): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } });
  setup?.(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Every page of tools, following nextCursor; also returns how many pages there were. */
export async function allTools(client: Client): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    // One page per request (the SDK's listTools() would follow the cursors itself).
    const page = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} });
    names.push(...page.tools.map((tool) => tool.name));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { names, pages };
}

export const text = (result: { [key: string]: unknown }) => ((result.content as Array<{ type: string; text?: string }>)[0]?.text ?? '');

/** A 2025-era HTTP backend in this process (see `startSessionBackend`). */
export interface SessionBackend {
  url: string;
  /** Every `Authorization` header it received, in order. */
  authorizations: string[];
  /** Stops and starts it again on its port, forgetting every session (as a restarted process does). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A 2025-era backend over HTTP with one tool, `echo`, that, like many servers, answers 400 (not
 * 404) to a session id it does not know. With `authorize`, a request whose `Authorization` header
 * it refuses gets 401.
 */
export async function startSessionBackend({ authorize }: { authorize?: (authorization: string | null) => boolean } = {}): Promise<SessionBackend> {
  let sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const authorizations: string[] = [];
  const json = (status: number, message: string) => new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), { status, headers: { 'content-type': 'application/json' } });
  const listener = getRequestListener(async (request) => {
    const authorization = request.headers.get('authorization');
    if (authorization) authorizations.push(authorization);
    if (authorize && !authorize(authorization)) return new Response(JSON.stringify({ error: 'invalid_token' }), { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    const body: unknown = request.method === 'POST' ? await request.clone().json().catch(() => undefined) : undefined;
    const id = request.headers.get('mcp-session-id');
    if (id) {
      const transport = sessions.get(id);
      return transport ? transport.handleRequest(request, { parsedBody: body }) : json(400, 'Bad Request: No valid session ID provided');
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) return json(400, 'Bad Request: Server not initialized');
    const known = sessions;
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void known.set(sid, transport) });
    const server = new Server({ name: 'session-backend', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => ({ tools: [{ name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }] }));
    server.setRequestHandler('tools/call', (call) => ({ content: [{ type: 'text', text: String(call.params.arguments?.text ?? '') }] }));
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  });
  const listen = (port: number) =>
    new Promise<HttpServer>((resolve, reject) => {
      const server = createServer(listener);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  const stop = (server: HttpServer) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let http = await listen(0);
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    async restart() {
      await stop(http);
      sessions = new Map();
      http = await listen(port);
    },
    close: () => stop(http),
  };
}
