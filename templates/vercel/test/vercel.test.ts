import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createVercelHandler, VERCEL_MAX_DURATION_SECONDS, type VercelHandler } from '../src/serverless/vercel.js';
import { ALLOWED_ORIGIN, API_KEY, AUDIENCE, capturedLogger, ISSUER, startJwks, type Jwks } from './serverless-helpers.js';

/** The MCP requests a client sends first: initialize, then list and call the example tools. */
const BODIES = {
  initialize: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'vercel-test', version: '1.0.0' } } },
  toolsList: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
  toolsCall: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 40 } } },
};

const BASE_URL = 'https://my-mcp.vercel.app';
const ENV = { AUTH_MODE: 'apikey', API_KEYS: API_KEY, ALLOWED_ORIGINS: ALLOWED_ORIGIN, RATE_LIMIT_RPS: '1000' };
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-real-ip': '203.0.113.9' };
const AUTH = { authorization: `Bearer ${API_KEY}` };

function post(body: unknown, headers: Record<string, string> = {}, path = '/mcp'): Request {
  return new Request(`${BASE_URL}${path}`, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The JSON body, or the last message of an SSE body (2025-era requests are answered by the SDK's streaming transport). */
async function json(response: Response): Promise<Record<string, any>> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text) as Record<string, any>;
  const messages = text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6);
  return JSON.parse(messages.at(-1)!.slice(6)) as Record<string, any>;
}

/** A 2026-07-28 request: version, client info and capabilities in `_meta`, routing headers that match the body. */
function modernPost(method: string, params: Record<string, unknown>, name?: string): Request {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'vercel-test', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const headers = { ...AUTH, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) };
  return post({ jsonrpc: '2.0', id: 10, method, params: { ...params, _meta: meta } }, headers);
}

describe('Vercel function (api/mcp.ts): web Requests', () => {
  let api: Record<'GET' | 'POST' | 'DELETE' | 'OPTIONS', VercelHandler>;
  beforeAll(async () => {
    // api/mcp.ts builds its app from process.env when loaded, as on Vercel.
    for (const [name, value] of Object.entries({ ...ENV, LOG_LEVEL: 'silent' })) vi.stubEnv(name, value);
    api = (await import('../api/mcp.js')) as typeof api;
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('exports a handler for every method the route serves', () => {
    for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS'] as const) expect(typeof api[method]).toBe('function');
  });

  it('answers 2026-07-28 requests with JSON responses, and server/discover', async () => {
    const call = await api.POST(modernPost('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, 'add'));
    expect(call.status).toBe(200);
    expect(call.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json(call)).toMatchObject({ id: 10, result: { structuredContent: { sum: 3 } } });
    const discover = await json(await api.POST(modernPost('server/discover', {})));
    expect(discover.result.supportedVersions).toContain('2026-07-28');
  });

  it('answers a 2025 initialize, tools/list and tools/call without a session', async () => {
    const init = await api.POST(post(BODIES.initialize, AUTH));
    expect(init.status).toBe(200);
    expect(init.headers.get('mcp-session-id')).toBeNull();
    expect(await json(init)).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });

    const list = await json(await api.POST(post(BODIES.toolsList, AUTH)));
    expect(list.result.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'slow_count']));

    const call = await json(await api.POST(post(BODIES.toolsCall, AUTH)));
    expect(call).toMatchObject({ id: 3, result: { structuredContent: { sum: 42 } } });
  });

  it('serves the function\'s own path /api/mcp as /mcp', async () => {
    const response = await api.POST(post(BODIES.toolsCall, AUTH, '/api/mcp'));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ result: { structuredContent: { sum: 42 } } });
  });

  it('answers bad JSON with 400 and a JSON-RPC parse error', async () => {
    const response = await api.POST(post('{"jsonrpc": ', AUTH));
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe(-32700);
  });

  it('refuses a body over MAX_BODY_BYTES with 413', async () => {
    const response = await api.POST(post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(1_100_000) } } }, AUTH));
    expect(response.status).toBe(413);
    expect((await json(response)).error.message).toMatch(/exceeds 1048576 bytes/);
  });

  it('refuses a foreign Origin with 403 and answers an allowed preflight', async () => {
    const foreign = await api.POST(post(BODIES.toolsList, { ...AUTH, origin: 'https://evil.example' }));
    expect(foreign.status).toBe(403);
    const preflight = await api.OPTIONS(
      new Request(`${BASE_URL}/mcp`, { method: 'OPTIONS', headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,mcp-protocol-version' } }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')!.toLowerCase()).toContain('mcp-protocol-version');
    const allowed = await api.POST(post(BODIES.toolsList, { ...AUTH, origin: ALLOWED_ORIGIN }));
    for (const header of ['mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'www-authenticate']) {
      expect(allowed.headers.get('access-control-expose-headers')!.toLowerCase()).toContain(header);
    }
  });

  it('answers 401 with a challenge without credentials, and 405 to GET and DELETE', async () => {
    const missing = await api.POST(post(BODIES.toolsList));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="https:\/\/my-mcp\.vercel\.app\//);
    for (const method of ['GET', 'DELETE'] as const) {
      const response = await api[method](new Request(`${BASE_URL}/mcp`, { method, headers: { ...AUTH, accept: 'text/event-stream' } }));
      expect(response.status, method).toBe(405);
      expect((await json(response)).error.message).toMatch(/method not allowed/i);
    }
  });

  it('serves /health through the rewrite', async () => {
    const response = await api.GET(new Request(`${BASE_URL}/health`));
    expect(response.status).toBe(200);
  });
});

describe('Vercel function: JWT verification', () => {
  let jwks: Jwks;
  let handler: VercelHandler;
  beforeAll(async () => {
    jwks = await startJwks();
    handler = createVercelHandler(
      { AUTH_MODE: 'jwt', JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, RATE_LIMIT_RPS: '1000' },
      { logger: capturedLogger().logger },
    );
  });
  afterAll(async () => {
    await jwks?.close();
  });

  it('accepts a good token and fetches the JWKS once across requests', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await handler(post(BODIES.toolsCall, { authorization: `Bearer ${await jwks.token()}` }));
      expect(response.status).toBe(200);
    }
    expect(jwks.hits()).toBe(1);
  });

  it.each([
    ['a wrong audience', () => jwks.token({ aud: 'https://another-api.example.test' })],
    ['an expired token', () => jwks.token({ exp: '-1m' })],
  ])('rejects %s with 401 invalid_token', async (_, makeToken) => {
    const response = await handler(post(BODIES.toolsCall, { authorization: `Bearer ${await makeToken()}` }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('rejects a missing token with 401', async () => {
    expect((await handler(post(BODIES.toolsCall))).status).toBe(401);
  });
});

describe('vercel.json', () => {
  const config = JSON.parse(readFileSync(new URL('../vercel.json', import.meta.url), 'utf8')) as {
    outputDirectory: string;
    functions: Record<string, { maxDuration: number }>;
    rewrites: Array<{ source: string; destination: string }>;
  };

  it('gives api/mcp.ts the maxDuration the code bounds its tool calls by', () => {
    expect(config.functions['api/mcp.ts']?.maxDuration).toBe(VERCEL_MAX_DURATION_SECONDS);
  });

  it('routes every path of the app to the function and publishes no sources', () => {
    const routed = new Map(config.rewrites.map((r) => [r.source, r.destination]));
    for (const path of ['/mcp', '/health', '/ready', '/metrics']) expect(routed.get(path), path).toBe('/api/mcp');
    expect(config.outputDirectory).toBe('public');
  });

  it('refuses to start when a tool call could outlast the function', async () => {
    const log = capturedLogger();
    const handler = createVercelHandler({ ...ENV, REQUEST_TIMEOUT_MS: String(VERCEL_MAX_DURATION_SECONDS * 1000) }, { logger: log.logger });
    const response = await handler(post(BODIES.toolsList, AUTH));
    expect(response.status).toBe(500);
    expect(log.lines().find((line) => line.level === 'fatal')?.msg).toMatch(/REQUEST_TIMEOUT_MS/);
  });
});
