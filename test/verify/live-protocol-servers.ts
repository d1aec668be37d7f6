import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** A server on 127.0.0.1 with an ephemeral port. */
export interface ProtocolServer {
  url: string;
  /** Requests that reached the MCP handler, by JSON-RPC method. */
  methods: string[];
  close(): Promise<void>;
}

/** What the server in front of the SDK handler does differently from a correct one. */
export interface Flaws {
  /** Rewrites Mcp-Method, Mcp-Name and MCP-Protocol-Version from the body: mismatches never reach the SDK. */
  trustsBodyOverHeaders?: boolean;
  /** Answers GET and DELETE on /mcp with 200, as if it kept sessions and streams. */
  answersGetAndDelete?: boolean;
  /** Serves /health and /ready (always 200). */
  health?: boolean;
  /** What tools/list answers: the SDK's list, a JSON-RPC error, or the SDK's answer with no tools in it. */
  toolsList?: 'served' | 'error' | 'empty';
  /** Another tool listed beside `echo`, under this name (e.g. a gateway's `backend__tool`). */
  alsoLists?: string;
}

function mcpFactory(alsoLists?: string) {
  const server = new McpServer({ name: 'protocol-fixture', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Echoes its input',
      inputSchema: z.object({ text: z.string() }),
      annotations: { readOnlyHint: true },
    },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  if (alsoLists) server.registerTool(alsoLists, { description: 'Counts slowly' }, () => ({ content: [] }));
  return server;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * MCP on /mcp through the v2 SDK's `createMcpHandler` (both eras, stateless 2025 leg), with the
 * given flaws in front of it.
 */
export async function protocolServer(flaws: Flaws = {}): Promise<ProtocolServer> {
  const handler = createMcpHandler(() => mcpFactory(flaws.alsoLists), { legacy: 'stateless' });
  const methods: string[] = [];
  const server: Server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (flaws.health && req.method === 'GET' && (url.pathname === '/health' || url.pathname === '/ready')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (url.pathname !== '/mcp') return void res.writeHead(404).end();
    if (flaws.answersGetAndDelete && (req.method === 'GET' || req.method === 'DELETE')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
      return;
    }
    const text = req.method === 'POST' ? await readBody(req) : '';
    const headers = toHeaders(req);
    let message: { id?: unknown; method?: string; params?: Record<string, unknown> } | undefined;
    try {
      message = text ? (JSON.parse(text) as typeof message) : undefined;
    } catch {
      message = undefined;
    }
    if (message?.method) methods.push(message.method);
    const modern = Boolean(
      message?.params?._meta && 'io.modelcontextprotocol/protocolVersion' in (message.params._meta as object),
    );
    if (message?.method === 'tools/list' && flaws.toolsList === 'error') {
      const body = { jsonrpc: '2.0', id: message.id, error: { code: -32603, message: 'Session store unavailable' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (flaws.trustsBodyOverHeaders && message?.method && modern) {
      headers.set('mcp-method', message.method);
      headers.set('mcp-protocol-version', '2026-07-28');
      const name = message.params?.name ?? message.params?.uri;
      if (typeof name === 'string') headers.set('mcp-name', name);
    }
    const request = new Request(url, {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'POST' ? { body: text } : {}),
    });
    const response = await handler.fetch(request);
    const headersOut = Object.fromEntries(response.headers.entries());
    if (message?.method === 'tools/list' && flaws.toolsList === 'empty') {
      // The SDK's own answer (JSON or an event stream) with every tool taken out of it.
      const emptied = withoutTools(await response.text());
      delete headersOut['content-length'];
      res.writeHead(response.status, headersOut).end(emptied);
      return;
    }
    res.writeHead(response.status, headersOut);
    res.end(Buffer.from(await response.arrayBuffer()));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A tools/list answer (plain JSON or the data lines of an event stream) with an empty tool list. */
function withoutTools(body: string): string {
  const empty = (json: string) => {
    const message = JSON.parse(json) as { result?: { tools?: unknown[] } };
    if (message.result?.tools) message.result.tools = [];
    return JSON.stringify(message);
  };
  if (body.trim().startsWith('{')) return empty(body);
  return body.replace(/^data: (.*)$/gm, (_line, json: string) => `data: ${empty(json)}`);
}
