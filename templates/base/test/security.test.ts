import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, connectClient, INITIALIZE, MCP_HEADERS, mcpPost, modernRequest, rawRequest, readMessages, startServer, type TestServer } from './helpers.js';

const auth = { authorization: `Bearer ${API_KEY}` };
const ALLOWED_ORIGIN = 'https://app.example.com';

describe('Origin and Host validation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, ALLOWED_ORIGINS: ALLOWED_ORIGIN, RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a foreign Origin with exactly 403 even with valid credentials', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { ...auth, origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toMatchObject({ error: { message: expect.stringMatching(/Origin/) } });
  });

  it('guards 2026-07-28 requests as 2025 ones: Origin, credentials, body size, and lets browsers send the routing headers', async () => {
    const list = modernRequest('tools/list');
    expect((await mcpPost(server.mcpUrl, list.body, { ...list.headers, ...auth, origin: 'https://evil.example' })).status).toBe(403);
    const anonymous = await mcpPost(server.mcpUrl, list.body, list.headers);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
    const huge = modernRequest('tools/call', { name: 'echo', arguments: { text: 'x'.repeat(1_100_000) } }, 1, 'echo');
    expect((await mcpPost(server.mcpUrl, huge.body, { ...huge.headers, ...auth })).status).toBe(413);
    const allowed = await mcpPost(server.mcpUrl, list.body, { ...list.headers, ...auth, origin: ALLOWED_ORIGIN });
    expect(allowed.status).toBe(200);
    const preflight = await fetch(server.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'mcp-method,mcp-name,mcp-protocol-version' },
    });
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/mcp-method.*mcp-name/);
  });

  it('checks Origin before authentication', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
  });

  it('accepts an allowed Origin (with CORS headers) and requests without Origin', async () => {
    const allowed = await mcpPost(server.mcpUrl, INITIALIZE, { ...auth, origin: ALLOWED_ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const preflight = await fetch(server.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    const noOrigin = await mcpPost(server.mcpUrl, INITIALIZE, auth);
    expect(noOrigin.status).toBe(200);
  });

  it('refuses a Host outside ALLOWED_HOSTS with 403 (DNS rebinding)', async () => {
    const body = JSON.stringify(INITIALIZE);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...auth };
    const rebound = await rawRequest(server.mcpUrl, { method: 'POST', headers: { ...headers, host: 'attacker.example:80' }, body });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { message: expect.stringMatching(/Host/) } });
    const localhost = await rawRequest(server.mcpUrl, { method: 'POST', headers: { ...headers, host: `localhost:${server.port}` }, body });
    expect(localhost.status).toBe(200);
  });
});

describe('API key authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 401 with a WWW-Authenticate challenge on POST, GET and DELETE', async () => {
    const metadataUrl = `${server.url}/.well-known/oauth-protected-resource`;
    for (const method of ['POST', 'GET', 'DELETE']) {
      const response = await fetch(server.mcpUrl, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: method === 'POST' ? JSON.stringify(INITIALIZE) : undefined,
      });
      expect(response.status, method).toBe(401);
      expect(response.headers.get('www-authenticate'), method).toBe(`Bearer resource_metadata="${metadataUrl}"`);
    }
  });

  it('marks a rejected token as invalid_token', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { authorization: 'Bearer not-the-key-0123456789' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('accepts the key as a bearer token and as X-API-Key', async () => {
    const bearer = await mcpPost(server.mcpUrl, INITIALIZE, auth);
    expect(bearer.status).toBe(200);
    const header = await mcpPost(server.mcpUrl, INITIALIZE, { 'x-api-key': API_KEY });
    expect(header.status).toBe(200);
    const client = await connectClient(server.mcpUrl, { 'x-api-key': API_KEY });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it('serves protected resource metadata without authentication', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ resource: `${server.url}/mcp`, bearer_methods_supported: ['header'] });
    }
  });
});

describe('rate limiting', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'none', RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '2' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 429 with Retry-After once the burst is spent, whatever X-Forwarded-For says', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i += 1) {
      const response = await mcpPost(server.mcpUrl, INITIALIZE, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
      await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('rate limiting behind a trusted proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'none', RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '2', TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('counts clients by the address the trusted proxy appended', async () => {
    const send = async (xff: string) => {
      const response = await mcpPost(server.mcpUrl, INITIALIZE, { 'x-forwarded-for': xff });
      await response.body?.cancel();
      return response.status;
    };
    expect([await send('198.51.100.7'), await send('198.51.100.7'), await send('198.51.100.7')]).toEqual([200, 200, 429]);
    // A forged entry in front of the proxy's does not create a new client.
    expect(await send('10.9.9.9, 198.51.100.7')).toBe(429);
    expect(await send('198.51.100.8')).toBe(200);
  });
});

describe('request body validation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, MAX_BODY_BYTES: '2048', RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses an oversized body with 413 before parsing it', async () => {
    const huge = JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(4096) });
    const declared = await mcpPost(server.mcpUrl, huge, auth);
    expect(declared.status).toBe(413);

    const chunked = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...auth },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(huge));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('reads a refused body to its end before the 413, so a slow client gets it and its connection carries the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string, slowly: boolean) =>
      new Promise<{ status: number; reused: boolean; connection: string | undefined }>((resolve, reject) => {
        const headers = { ...MCP_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...auth };
        const req = request(server.mcpUrl, { method: 'POST', agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket, connection: res.headers.connection }));
        });
        req.on('error', reject);
        if (!slowly) return void req.end(body);
        // The rest comes after longer than the HTTP server's own 500 ms drain of a body left unread.
        req.write(body.slice(0, 1000));
        setTimeout(() => req.end(body.slice(1000)), 800);
      });
    try {
      const refused = await post(JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(4096) }), true);
      expect(refused).toMatchObject({ status: 413, reused: false, connection: 'keep-alive' });
      expect(await post(JSON.stringify(INITIALIZE), false)).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('answers a body declared too large even to read on at once, and closes the connection', async () => {
    const answer = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const headers = { ...MCP_HEADERS, 'content-length': String(128 * 1024 * 1024), ...auth };
      const req = request(server.mcpUrl, { method: 'POST', headers }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, connection: res.headers.connection });
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"jsonrpc":"2.0",');
    });
    expect(answer).toEqual({ status: 413, connection: 'close' });
  });

  it('answers malformed JSON with 400 and a JSON-RPC parse error', async () => {
    const response = await mcpPost(server.mcpUrl, '{"jsonrpc": "2.0", "id": 1, "method": ', auth);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: expect.any(String) }, id: null });
  });

  it('serves a body within the limit', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, auth);
    expect(response.status).toBe(200);
    const [message] = await readMessages(response);
    expect(message).toHaveProperty('result.serverInfo');
  });
});
