import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer as ModernMcpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** A server on 127.0.0.1 with an ephemeral port. */
export interface RunningServer {
  url: string;
  /** Requests that reached the `echo` tool; proves whether a refused call ran anyway. */
  echoCalls: number;
  close(): Promise<void>;
}

function mcpServer(state: { echoCalls: number }): McpServer {
  const server = new McpServer({ name: 'live-probe-fixture', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its input', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
    ({ text }) => {
      state.echoCalls++;
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

/** Stateless Streamable HTTP: a fresh server and transport per request, as the SDK examples do. */
async function serveMcp(
  state: { echoCalls: number },
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const server = mcpServer(state);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  state: { echoCalls: number },
): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get echoCalls() {
      return state.echoCalls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * MCP on /mcp with the v2 SDK's `createMcpHandler`: MCP 2026-07-28 and, unless `legacy` is
 * 'reject', 2025-era clients served statelessly by the same handler.
 */
export function eraServer(legacy: 'stateless' | 'reject'): Promise<RunningServer> {
  const state = { echoCalls: 0 };
  const handler = createMcpHandler(
    () => {
      const server = new ModernMcpServer({ name: 'era-fixture', version: '1.0.0' });
      server.registerTool(
        'echo',
        {
          description: 'Echoes its input',
          inputSchema: z.object({ text: z.string() }),
          annotations: { readOnlyHint: true },
        },
        ({ text }) => {
          state.echoCalls++;
          return { content: [{ type: 'text', text }] };
        },
      );
      return server;
    },
    { legacy },
  );
  const node = toNodeHandler(handler);
  return listen(async (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    await node(req, res);
  }, state);
}

/** The SDK's plain example: MCP on /mcp, nothing else. No Origin check, no auth, no limits. */
export function plainServer(): Promise<RunningServer> {
  const state = { echoCalls: 0 };
  return listen(async (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    await serveMcp(state, req, res, undefined);
  }, state);
}

export interface HardenedOptions {
  token: string;
  /** Token bucket per socket address. */
  burst?: number;
  ratePerSecond?: number;
  maxBodyBytes?: number;
}

/**
 * The same MCP server behind what the checklist asks for: Origin allow-list (403), bearer
 * auth (401 + WWW-Authenticate), a token bucket keyed on the socket address (429 +
 * Retry-After, blind to X-Forwarded-For), a body limit (413), JSON-RPC parse errors (400),
 * /health, /ready and a Prometheus request counter.
 */
export function hardenedServer(options: HardenedOptions): Promise<RunningServer> {
  const state = { echoCalls: 0 };
  const burst = options.burst ?? 20;
  const rate = options.ratePerSecond ?? 10;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let requests = 0;
  const jsonError = (
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    res
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
  };
  return listen(async (req, res) => {
    requests++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/health')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.method === 'GET' && path === '/ready')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    if (req.method === 'GET' && path === '/metrics') {
      return void res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(
          `# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\nhttp_requests_total{route="any"} ${requests}\n`,
        );
    }
    if (path !== '/mcp') return void res.writeHead(404).end();

    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'http://localhost:5173')
      return jsonError(res, 403, -32000, 'Forbidden: Origin not allowed');
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return jsonError(res, 401, -32000, 'Unauthorized', {
        'www-authenticate': 'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"',
      });
    }
    const key = req.socket.remoteAddress ?? 'unknown';
    const now = Date.now();
    const bucket = buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens < 1)
      return jsonError(res, 429, -32000, 'Too many requests', {
        'retry-after': String(Math.ceil((1 - bucket.tokens) / rate)),
      });
    bucket.tokens -= 1;

    if (Number(req.headers['content-length'] ?? 0) > maxBody) {
      jsonError(res, 413, -32000, 'Request body too large', { connection: 'close' });
      req.resume();
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return jsonError(res, 400, -32700, 'Parse error');
      }
    }
    await serveMcp(state, req, res, body);
  }, state);
}

/**
 * Answers like a careless hand-rolled server: every path 200, invalid JSON a 500 with the
 * stack, no body limit, and a tool that runs whatever arguments it gets.
 */
export function carelessServer(): Promise<RunningServer> {
  const state = { echoCalls: 0 };
  return listen(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/mcp') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let message: { id?: unknown; method?: string; params?: { name?: string } };
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof message;
    } catch (error) {
      return void res.writeHead(500, { 'content-type': 'text/plain' }).end((error as Error).stack);
    }
    const reply = (result: unknown) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
    switch (message.method) {
      case 'initialize':
        return void reply({
          protocolVersion: '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'careless', version: '1.0.0' },
        });
      case 'tools/list':
        return void reply({
          tools: [
            {
              name: 'echo',
              inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
              annotations: { readOnlyHint: true },
            },
          ],
        });
      case 'tools/call':
        state.echoCalls++;
        return void reply({ content: [{ type: 'text', text: 'ran anyway' }] });
      default:
        if (message.id === undefined) return void res.writeHead(202).end();
        return void reply({});
    }
  }, state);
}

/**
 * A throwaway self-signed certificate for 127.0.0.1/localhost, generated once for these tests
 * (no CA trusts it): a TLS endpoint Node's fetch must refuse.
 */
const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgf52HaLurTEY57V3p
slRQjuZD/GfTaAAolUaibmmZ4RChRANCAARZbdtrV58ijSZjQF5CjvPSuU3kM0p/
TWL7wxxMoUBiWUJwayVDV2+OZX4qSpkmB8aXNYy/O89/T8T90V5kHpKS
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUASyy7kucqk/3A1vkAHCc2qxozggwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDA5MDIxNVoYDzIxMjYxMDMx
MDkwMjE1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARZbdtrV58ijSZjQF5CjvPSuU3kM0p/TWL7wxxMoUBiWUJwayVDV2+O
ZX4qSpkmB8aXNYy/O89/T8T90V5kHpKSo28wbTAdBgNVHQ4EFgQUUEpBXC8DTJOQ
1fBCjEMJ2zV6vQwwHwYDVR0jBBgwFoAUUEpBXC8DTJOQ1fBCjEMJ2zV6vQwwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIgNgCcxaK5ogFCgHfwLzO7Yl9tvxsvpZkyLKNNB2PG4NwCIQDT
c32kWpdK+TbH6H0Dm2TsJdsVFZKvcjLOQ7ET1z6qlQ==
-----END CERTIFICATE-----
`,
};

/** HTTPS on 127.0.0.1 with a certificate nobody trusts; answers 200 to anything that gets through. */
export async function selfSignedServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpsServer(SELF_SIGNED, (_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
