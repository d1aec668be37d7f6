import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, INITIALIZE, mcpPost, startServer, type TestServer } from './helpers.js';

const ISSUER = 'https://auth.example.test/';
const AUDIENCE = 'https://mcp.example.test/mcp';

/** A tiny authorization server: just the JWKS endpoint, on loopback. */
async function startJwks(keys: JWK[]): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('JWT authentication', () => {
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let server: TestServer;

  const token = (claims: { aud?: string; iss?: string; sub?: string; exp?: string } = {}, key = signingKey) =>
    new SignJWT({ scope: 'tools:call' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setSubject(claims.sub ?? 'user-1')
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    jwks = await startJwks([publicJwk]);
    server = await startServer({
      AUTH_MODE: 'jwt',
      JWT_JWKS_URL: jwks.url,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      RATE_LIMIT_RPS: '1000',
    });
  });
  afterAll(async () => {
    await server?.close();
    await jwks?.close();
  });

  it('accepts a valid token', async () => {
    const client = await connectClient(server.mcpUrl, { authorization: `Bearer ${await token()}` });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'signed' } });
    expect(result.content).toEqual([{ type: 'text', text: 'signed' }]);
    await client.close();
  });

  it.each([
    ['a wrong audience', () => token({ aud: 'https://some-other-api.example.test' })],
    ['a wrong issuer', () => token({ iss: 'https://evil.example.test/' })],
    ['an expired token', () => token({ exp: '-1m' })],
    ['a key the issuer never published', () => token({}, strangerKey)],
  ])('rejects %s with 401 invalid_token', async (_, makeToken) => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${await makeToken()}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=".+", error="invalid_token"$/);
  });

  it('names the authorization server and the audience in its resource metadata', async () => {
    const metadata = await (await fetch(`${server.url}/.well-known/oauth-protected-resource`)).json();
    expect(metadata).toMatchObject({ resource: AUDIENCE, authorization_servers: [ISSUER] });
  });
});

describe('JWT authentication with required scopes', () => {
  let signingKey: CryptoKey;
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let server: TestServer;
  const token = (scope: string) =>
    new SignJWT({ scope })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signingKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    jwks = await startJwks([{ ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' }]);
    server = await startServer({
      AUTH_MODE: 'jwt',
      JWT_JWKS_URL: jwks.url,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_REQUIRED_SCOPES: 'tools:call,notes:write',
      RATE_LIMIT_RPS: '1000',
    });
  });
  afterAll(async () => {
    await server?.close();
    await jwks?.close();
  });

  it('names the scopes in the challenge of a request without a token', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=".+", scope="tools:call notes:write"$/);
  });

  it('refuses a valid token without every required scope: 403 insufficient_scope', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${await token('tools:call')}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/scope="tools:call notes:write", error="insufficient_scope"$/);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringContaining('notes:write') } });
  });

  it('accepts a token with the required scopes (and others), and lists them in its resource metadata', async () => {
    const client = await connectClient(server.mcpUrl, { authorization: `Bearer ${await token('openid notes:write tools:call')}` });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'scoped' } });
    expect(result.content).toEqual([{ type: 'text', text: 'scoped' }]);
    await client.close();
    const metadata = await (await fetch(`${server.url}/.well-known/oauth-protected-resource`)).json();
    expect(metadata).toMatchObject({ scopes_supported: ['tools:call', 'notes:write'] });
  });
});

describe('JWT authentication with the JWKS unreachable', () => {
  let server: TestServer;
  beforeAll(async () => {
    const gone = await startJwks([]);
    await gone.close();
    server = await startServer({ AUTH_MODE: 'jwt', JWT_JWKS_URL: gone.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 503, not 401: the client credential is not at fault', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('u').sign(privateKey);
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${jwt}` });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBeTruthy();
  });
});
