import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseServersConfig } from '../src/aggregate/index.js';
import { API_KEY, waitFor, type TestServer } from './helpers.js';
import { connect, startGateway, startSessionBackend, text, type SessionBackend } from './gateway-helpers.js';

const CLIENT_ID = 'gateway-client';
const CLIENT_SECRET = 'gateway-secret-0123456789abcdef';

/** An OAuth token endpoint (client credentials grant, client_secret_basic) in this process. */
async function startTokenEndpoint({ expiresIn }: { expiresIn: number }) {
  const issued: string[] = [];
  const scopes: string[] = [];
  const server: HttpServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const answer = (status: number, json: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const [id, secret] = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
      if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return answer(401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' });
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials') return answer(400, { error: 'unsupported_grant_type' });
      scopes.push(form.get('scope') ?? '');
      const token = `token-${issued.length + 1}`;
      issued.push(token);
      return answer(200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    issued,
    scopes,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

const opened: Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close().catch(() => {})));
});

describe('an HTTP backend that requires an OAuth client credentials token', () => {
  let tokens: Awaited<ReturnType<typeof startTokenEndpoint>>;
  let backend: SessionBackend;
  let gateway: TestServer;
  const revoked = new Set<string>();
  const auth = { authorization: `Bearer ${API_KEY}` };
  beforeAll(async () => {
    tokens = await startTokenEndpoint({ expiresIn: 3600 });
    // Only tokens the endpoint issued and that were not revoked are accepted.
    backend = await startSessionBackend({ authorize: (header) => tokens.issued.some((token) => header === `Bearer ${token}` && !revoked.has(token)) });
    process.env.TEST_GATEWAY_CLIENT_SECRET = CLIENT_SECRET;
    gateway = await startGateway(
      {
        secured: {
          url: backend.url,
          auth: { type: 'client_credentials', tokenUrl: tokens.url, clientId: CLIENT_ID, clientSecret: '${TEST_GATEWAY_CLIENT_SECRET}', scope: 'mcp:tools' },
          timeoutMs: 5000,
        },
      },
      { AUTH_MODE: 'apikey', API_KEYS: API_KEY },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
    await tokens?.close();
  });

  it('gets one token for all its connections, sends it (never the client\'s), and gets a new one when the backend refuses it', async () => {
    const session = await connect(gateway.mcpUrl, { headers: auth });
    const modern = await connect(gateway.mcpUrl, { headers: auth, era: 'modern' });
    opened.push(session, modern);
    expect(text(await session.callTool({ name: 'secured__echo', arguments: { text: 'from a session' } }))).toBe('from a session');
    expect(text(await modern.callTool({ name: 'secured__echo', arguments: { text: 'shared' } }))).toBe('shared');
    // The shared connection and the session's own one use the same cached token.
    expect(tokens.issued).toEqual(['token-1']);
    expect(tokens.scopes).toEqual(['mcp:tools']);
    expect(new Set(backend.authorizations)).toEqual(new Set(['Bearer token-1']));
    expect(backend.authorizations.join()).not.toContain(API_KEY);
    // The backend stops accepting the token: the next request gets a new one and goes through.
    revoked.add('token-1');
    expect(text(await session.callTool({ name: 'secured__echo', arguments: { text: 'after revocation' } }))).toBe('after revocation');
    expect(text(await modern.callTool({ name: 'secured__echo', arguments: { text: 'shared again' } }))).toBe('shared again');
    expect(tokens.issued).toEqual(['token-1', 'token-2']);
    expect(backend.authorizations.at(-1)).toBe('Bearer token-2');
  });
});

describe('client credentials tokens that expire', () => {
  let tokens: Awaited<ReturnType<typeof startTokenEndpoint>>;
  let backend: SessionBackend;
  let gateway: TestServer;
  beforeAll(async () => {
    tokens = await startTokenEndpoint({ expiresIn: 1 });
    backend = await startSessionBackend({ authorize: (header) => header?.startsWith('Bearer token-') ?? false });
    gateway = await startGateway({ secured: { url: backend.url, auth: { type: 'client_credentials', tokenUrl: tokens.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } } });
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
    await tokens?.close();
  });

  it('are renewed before they expire, without a refusal first', async () => {
    const modern = await connect(gateway.mcpUrl, { era: 'modern' });
    opened.push(modern);
    const before = tokens.issued.length;
    await waitFor(async () => {
      expect(text(await modern.callTool({ name: 'secured__echo', arguments: { text: 'x' } }))).toBe('x');
      return tokens.issued.length > before;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    expect(backend.authorizations.at(-1)).toBe(`Bearer ${tokens.issued.at(-1)}`);
  });
});

describe('client credentials in the servers file', () => {
  const parse = (auth: unknown, url = 'https://backend.example/mcp') => () => parseServersConfig({ mcpServers: { secured: { url, auth } } }, 'gateway.config.json', { SECRET: 's3cret' });

  it('are read with the secret from the environment, and rejected with a message naming the field', () => {
    expect(parseServersConfig({ mcpServers: { secured: { url: 'https://backend.example/mcp', auth: { type: 'client_credentials', tokenUrl: 'https://auth.example/token', clientId: 'gw', clientSecret: '${SECRET}' } } } }, 'f', { SECRET: 's3cret' }).servers[0]?.target).toMatchObject({
      auth: { type: 'client_credentials', clientId: 'gw', clientSecret: 's3cret' },
    });
    expect(parse({ type: 'password', tokenUrl: 'https://auth.example/token', clientId: 'gw', clientSecret: 'x' })).toThrow(/mcpServers\.secured\.auth\.type: expected "client_credentials"/);
    expect(parse({ type: 'client_credentials', tokenUrl: 'http://auth.example/token', clientId: 'gw', clientSecret: 'x' })).toThrow(/auth\.tokenUrl: expected an https URL/);
    expect(parse({ type: 'client_credentials', tokenUrl: 'https://auth.example/token', clientId: 'gw', clientSecret: '${UNSET_SECRET}' })).toThrow(/auth\.clientSecret: uses \$\{UNSET_SECRET\}, but the environment variable UNSET_SECRET is not set/);
    expect(parse({ type: 'client_credentials', tokenUrl: 'https://auth.example/token', clientId: 'gw', clientSecret: 'x', audience: 'y' })).toThrow(/auth\.audience: unknown field/);
    expect(() => parseServersConfig({ mcpServers: { local: { command: 'node', auth: {} } } }, 'f', {})).toThrow(/mcpServers\.local\.auth: only HTTP servers/);
  });
});

describe('a token endpoint that refuses the gateway', () => {
  it('leaves the backend down, and the log names the endpoint and what to check', async () => {
    const tokens = await startTokenEndpoint({ expiresIn: 3600 });
    const backend = await startSessionBackend({ authorize: () => true });
    const gateway = await startGateway({ secured: { url: backend.url, auth: { type: 'client_credentials', tokenUrl: tokens.url, clientId: CLIENT_ID, clientSecret: 'wrong-secret' }, timeoutMs: 2000 } });
    try {
      const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { checks: Record<string, { ok: boolean; state?: string }> };
      expect(ready.checks['backend:secured']).toMatchObject({ ok: false, state: 'down' });
      const logged = gateway.rawLogs();
      expect(logged).toMatch(/token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth\/token answered 401 without an access token \(invalid_client: unknown client or wrong secret\); check \\"clientId\\" and \\"clientSecret\\" of \\"auth\\" in the servers file/);
      expect(backend.authorizations).toEqual([]);
    } finally {
      await gateway.close();
      await backend.close();
      await tokens.close();
    }
  });
});
