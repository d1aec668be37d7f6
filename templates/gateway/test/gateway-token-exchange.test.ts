import type { Client } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { onBehalfOf, openAggregator, parseServersConfig, TOKEN_EXCHANGE_FAILED } from '../src/aggregate/index.js';
import type { TestServer } from './helpers.js';
import { connect, startGateway, text } from './gateway-helpers.js';
import {
  GATEWAY_AUDIENCE,
  GATEWAY_CLIENT_ID,
  GATEWAY_CLIENT_SECRET,
  startAuthorizationServer,
  startIdentityBackend,
  type AuthorizationServer,
  type IdentityBackend,
} from './fixtures/token-exchange.js';

const MODERN_AUDIENCE = 'https://modern.backend.test';
const LEGACY_RESOURCE = 'https://legacy.backend.test/mcp';

const opened: Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close().catch(() => {})));
});

/** A 2025 session (legacy) or 2026-07-28 requests (modern) of one user, authenticated with the user's own token. */
async function userClient(gateway: TestServer, token: string, era: 'legacy' | 'modern'): Promise<Client> {
  const client = await connect(gateway.mcpUrl, { headers: { authorization: `Bearer ${token}` }, era });
  opened.push(client);
  return client;
}

const whoami = async (client: Client, tool: string, args: Record<string, unknown> = {}) => text(await client.callTool({ name: tool, arguments: args }));

function exchangeServers(as: AuthorizationServer, modern: IdentityBackend, legacy: IdentityBackend) {
  return {
    modern: {
      url: modern.url,
      auth: { type: 'token_exchange', tokenUrl: as.tokenUrl, clientId: GATEWAY_CLIENT_ID, clientSecret: '${TEST_EXCHANGE_SECRET}', audience: MODERN_AUDIENCE, scope: 'mcp:tools' },
      timeoutMs: 5000,
    },
    legacy: {
      url: legacy.url,
      auth: { type: 'token_exchange', tokenUrl: as.tokenUrl, clientId: GATEWAY_CLIENT_ID, clientSecret: '${TEST_EXCHANGE_SECRET}', resource: LEGACY_RESOURCE },
      timeoutMs: 5000,
    },
  };
}

describe('backends that act for the calling user (OAuth token exchange, RFC 8693)', () => {
  let as: AuthorizationServer;
  let modern: IdentityBackend;
  let legacy: IdentityBackend;
  let gateway: TestServer;
  beforeAll(async () => {
    as = await startAuthorizationServer();
    modern = await startIdentityBackend({ as, audience: MODERN_AUDIENCE, era: 'modern' });
    legacy = await startIdentityBackend({ as, audience: LEGACY_RESOURCE, era: 'legacy' });
    process.env.TEST_EXCHANGE_SECRET = GATEWAY_CLIENT_SECRET;
    gateway = await startGateway(exchangeServers(as, modern, legacy), { AUTH_MODE: 'jwt', JWT_JWKS_URL: as.jwksUrl, JWT_ISSUER: as.issuer, JWT_AUDIENCE: GATEWAY_AUDIENCE });
  });
  afterAll(async () => {
    await gateway?.close();
    await modern?.close();
    await legacy?.close();
    await as?.close();
  });

  it("gives each backend the gateway's own client credentials token for its own requests (discovery, lists)", async () => {
    for (const backend of [modern, legacy]) {
      const own = backend.requests.filter((request) => request.method !== 'tools/call');
      expect(own.map((request) => request.method)).toContain('tools/list');
      expect(new Set(own.map((request) => request.sub))).toEqual(new Set([GATEWAY_CLIENT_ID]));
    }
    const ownGrants = as.grants.filter((grant) => grant.grant === 'client_credentials');
    // One per backend (each has its own audience), with what names the backend.
    expect(ownGrants.map((grant) => grant.form.audience ?? grant.form.resource).sort()).toEqual([MODERN_AUDIENCE, LEGACY_RESOURCE].sort());
    expect(ownGrants.find((grant) => grant.form.audience === MODERN_AUDIENCE)?.form.scope).toBe('mcp:tools');
  });

  it("calls each backend as the user who asked, in both eras, exchanging each user's token once per backend", async () => {
    const aliceToken = await as.userToken('alice');
    const bobToken = await as.userToken('bob');
    const alice = await userClient(gateway, aliceToken, 'legacy');
    const bob = await userClient(gateway, bobToken, 'modern');
    for (let round = 0; round < 3; round++) {
      expect(await whoami(alice, 'modern__whoami')).toBe('alice');
      expect(await whoami(alice, 'legacy__whoami')).toBe('alice');
      expect(await whoami(bob, 'modern__whoami')).toBe('bob');
      expect(await whoami(bob, 'legacy__whoami')).toBe('bob');
    }
    // Six calls per user, one exchange per user and backend.
    for (const user of ['alice', 'bob']) {
      expect(as.exchangesFor(user, MODERN_AUDIENCE)).toBe(1);
      expect(as.exchangesFor(user, LEGACY_RESOURCE)).toBe(1);
    }
    const exchange = as.grants.find((grant) => grant.user === 'alice' && grant.form.audience === MODERN_AUDIENCE)!.form;
    expect(exchange).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: aliceToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'mcp:tools',
    });
    expect(as.grants.find((grant) => grant.user === 'bob' && grant.form.resource === LEGACY_RESOURCE)?.form.audience).toBeUndefined();
    for (const backend of [modern, legacy]) {
      const calls = backend.requests.filter((request) => request.method === 'tools/call');
      expect(calls).toHaveLength(6);
      // Exchanged tokens only: for the user (never the gateway's own), issued to the gateway as the actor, never the user's own token.
      expect(new Set(calls.map((call) => call.sub))).toEqual(new Set(['alice', 'bob']));
      expect(new Set(calls.map((call) => call.actor))).toEqual(new Set([GATEWAY_CLIENT_ID]));
      expect(calls.map((call) => call.token)).not.toContain(aliceToken);
      expect(calls.map((call) => call.token)).not.toContain(bobToken);
    }
    expect(gateway.rawLogs()).not.toContain(aliceToken);
  });

  it("keeps concurrent users apart on a shared connection, and shares one exchange among a user's concurrent calls", async () => {
    const carolToken = await as.userToken('carol');
    const daveToken = await as.userToken('dave');
    // 2026-07-28 clients: every call of both goes over the gateway's one connection per backend.
    const carol = await userClient(gateway, carolToken, 'modern');
    const dave = await userClient(gateway, daveToken, 'modern');
    const before = { modern: modern.requests.length, legacy: legacy.requests.length };
    // Each backend holds its calls until all six are in flight at once: they overlap for sure.
    const calls = ['modern__whoami', 'legacy__whoami'].flatMap((tool) =>
      [carol, dave, carol, dave, carol, dave].map(async (client) => [client === carol ? 'carol' : 'dave', await whoami(client, tool, { together: 6 })]),
    );
    for (const [caller, answer] of await Promise.all(calls)) expect(answer).toBe(caller);
    for (const [backend, audience] of [[modern, MODERN_AUDIENCE], [legacy, LEGACY_RESOURCE]] as const) {
      const seen = backend.requests.slice(before[backend === modern ? 'modern' : 'legacy']).filter((request) => request.method === 'tools/call');
      expect(seen.map((request) => request.sub).sort()).toEqual(['carol', 'carol', 'carol', 'dave', 'dave', 'dave']);
      expect(as.exchangesFor('carol', audience)).toBe(1);
      expect(as.exchangesFor('dave', audience)).toBe(1);
    }
  });

  it('acts for a 2026-07-28 client whose call to a 2025 backend is held in rounds (it can answer questions)', async () => {
    const ivanToken = await as.userToken('ivan');
    const ivan = await connect(gateway.mcpUrl, { headers: { authorization: `Bearer ${ivanToken}` }, era: 'modern', capabilities: { elicitation: { form: {} } } });
    opened.push(ivan);
    const sessions = legacy.requests.filter((request) => request.method === 'initialize').length;
    expect(await whoami(ivan, 'legacy__whoami')).toBe('ivan');
    // The held call has a backend session of its own, opened with the gateway's own token.
    expect(legacy.requests.filter((request) => request.method === 'initialize').slice(sessions)).toEqual([expect.objectContaining({ sub: GATEWAY_CLIENT_ID })]);
    // The health check's ping may come after it: the call is the last tools/call.
    expect(legacy.requests.filter((request) => request.method === 'tools/call').at(-1)).toMatchObject({ method: 'tools/call', sub: 'ivan' });
  });

  it('exchanges again, once, when the backend refuses an exchanged token (401)', async () => {
    const erinToken = await as.userToken('erin');
    for (const era of ['legacy', 'modern'] as const) {
      const erin = await userClient(gateway, erinToken, era);
      expect(await whoami(erin, 'modern__whoami')).toBe('erin');
      const exchanges = as.exchangesFor('erin', MODERN_AUDIENCE);
      const used = modern.requests.filter((request) => request.sub === 'erin').at(-1)!.token;
      modern.revoked.add(used);
      expect(await whoami(erin, 'modern__whoami')).toBe('erin');
      expect(modern.refused.filter((token) => token === used)).toHaveLength(1);
      expect(as.exchangesFor('erin', MODERN_AUDIENCE)).toBe(exchanges + 1);
      // The health check's discovery may come after it: the retried call is the last tools/call.
      const retried = modern.requests.filter((request) => request.method === 'tools/call').at(-1);
      expect(retried).toMatchObject({ method: 'tools/call', sub: 'erin' });
      expect(retried!.token).not.toBe(used);
    }
  });

  it('fails the calls of a user the backend refuses even after a fresh exchange, without taking the backend down for others', async () => {
    const malloryToken = await as.userToken('mallory');
    const mallory = await userClient(gateway, malloryToken, 'modern');
    const judy = await userClient(gateway, await as.userToken('judy'), 'modern');
    modern.refusedUsers.add('mallory');
    // More refusals than the breaker's threshold (GATEWAY_BREAKER_THRESHOLD, 5).
    for (let call = 1; call <= 6; call++) {
      await expect(mallory.callTool({ name: 'modern__whoami', arguments: {} })).rejects.toMatchObject({
        code: TOKEN_EXCHANGE_FAILED,
        message: expect.stringMatching(/Backend "modern" refused the token exchanged for the calling user \(HTTP 401\): also after a fresh exchange/),
      });
      // One exchange, and one more after the refusal: never a loop.
      expect(as.exchangesFor('mallory', MODERN_AUDIENCE)).toBe(call + 1);
    }
    // A user forbidden what they ask (403): no new exchange, since the token was accepted.
    const oscar = await userClient(gateway, await as.userToken('oscar'), 'legacy');
    modern.forbiddenUsers.add('oscar');
    for (let call = 1; call <= 6; call++) {
      await expect(oscar.callTool({ name: 'modern__whoami', arguments: {} })).rejects.toMatchObject({
        code: TOKEN_EXCHANGE_FAILED,
        message: expect.stringMatching(/Backend "modern" refused the token exchanged for the calling user \(HTTP 403\): the user may not do this at the backend/),
      });
    }
    expect(as.exchangesFor('oscar', MODERN_AUDIENCE)).toBe(1);
    expect(await whoami(judy, 'modern__whoami')).toBe('judy');
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { checks: Record<string, { ok: boolean }> };
    expect(ready.checks['backend:modern']?.ok).toBe(true);
  });

  it("fails a call clearly when the authorization server refuses the exchange, without the user's token in the error or the logs", async () => {
    const frankToken = await as.userToken('frank');
    const graceToken = await as.userToken('grace');
    const grace = await userClient(gateway, graceToken, 'modern');
    expect(await whoami(grace, 'modern__whoami')).toBe('grace');
    try {
      for (const [code, hint] of [
        ['invalid_grant', /does not accept the client's access token for exchange/],
        ['unsupported_grant_type', /enable token exchange \(RFC 8693\) for this client/],
      ] as const) {
        as.refuseExchanges(code);
        for (const era of ['legacy', 'modern'] as const) {
          const frank = await userClient(gateway, frankToken, era);
          const failure = await frank.callTool({ name: 'modern__whoami', arguments: {} }).then(
            () => undefined,
            (error: unknown) => error as { code: number; message: string; data?: unknown },
          );
          expect(failure?.code).toBe(TOKEN_EXCHANGE_FAILED);
          expect(failure?.message).toMatch(new RegExp(`Backend "modern": the token exchange for the calling user failed: the token endpoint ${as.tokenUrl.replace(/[.]/g, '\\.')} answered 400 without an access token \\(${code}: refused as the test asked\\)`));
          expect(failure?.message).toMatch(hint);
          expect(failure?.data).toMatchObject({ backend: 'modern', tokenUrl: as.tokenUrl, status: 400, error: code });
          expect(JSON.stringify(failure)).not.toContain(frankToken);
        }
      }
      // A user whose exchanged token is still valid is not affected.
      expect(await whoami(grace, 'modern__whoami')).toBe('grace');
      // A refused exchange is the user's problem, not the backend's: it stays ready.
      const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { checks: Record<string, { ok: boolean }> };
      expect(ready.checks['backend:modern']?.ok).toBe(true);
    } finally {
      as.refuseExchanges(undefined);
    }
    expect(modern.requests.some((request) => request.sub === 'frank')).toBe(false);
    expect(gateway.rawLogs()).not.toContain(frankToken);
  });
});

describe('token exchange for 2025 clients without sessions (SESSION_MODE=stateless)', () => {
  let as: AuthorizationServer;
  let modern: IdentityBackend;
  let legacy: IdentityBackend;
  let gateway: TestServer;
  beforeAll(async () => {
    as = await startAuthorizationServer();
    modern = await startIdentityBackend({ as, audience: MODERN_AUDIENCE, era: 'modern' });
    legacy = await startIdentityBackend({ as, audience: LEGACY_RESOURCE, era: 'legacy' });
    process.env.TEST_EXCHANGE_SECRET = GATEWAY_CLIENT_SECRET;
    gateway = await startGateway(exchangeServers(as, modern, legacy), { SESSION_MODE: 'stateless', AUTH_MODE: 'jwt', JWT_JWKS_URL: as.jwksUrl, JWT_ISSUER: as.issuer, JWT_AUDIENCE: GATEWAY_AUDIENCE });
  });
  afterAll(async () => {
    await gateway?.close();
    await modern?.close();
    await legacy?.close();
    await as?.close();
  });

  it('keeps two users apart on the shared connections while their calls overlap', async () => {
    const alice = await userClient(gateway, await as.userToken('alice'), 'legacy');
    const bob = await userClient(gateway, await as.userToken('bob'), 'legacy');
    const calls = ['modern__whoami', 'legacy__whoami'].flatMap((tool) =>
      [alice, bob, alice, bob].map(async (client) => [client === alice ? 'alice' : 'bob', await whoami(client, tool, { together: 4 })]),
    );
    for (const [caller, answer] of await Promise.all(calls)) expect(answer).toBe(caller);
    for (const [backend, audience] of [[modern, MODERN_AUDIENCE], [legacy, LEGACY_RESOURCE]] as const) {
      expect(backend.requests.filter((request) => request.method === 'tools/call').map((request) => request.sub).sort()).toEqual(['alice', 'alice', 'bob', 'bob']);
      expect(as.exchangesFor('alice', audience)).toBe(1);
      expect(as.exchangesFor('bob', audience)).toBe(1);
    }
  });
});

describe('token exchange without user tokens', () => {
  let as: AuthorizationServer;
  let modern: IdentityBackend;
  let legacy: IdentityBackend;
  beforeAll(async () => {
    as = await startAuthorizationServer();
    modern = await startIdentityBackend({ as, audience: MODERN_AUDIENCE, era: 'modern' });
    legacy = await startIdentityBackend({ as, audience: LEGACY_RESOURCE, era: 'legacy' });
    process.env.TEST_EXCHANGE_SECRET = GATEWAY_CLIENT_SECRET;
  });
  afterAll(async () => {
    await modern?.close();
    await legacy?.close();
    await as?.close();
  });

  it.each([
    ['apikey', { AUTH_MODE: 'apikey', API_KEYS: 'test-key-0123456789abcdef' }],
    ['none', { AUTH_MODE: 'none' }],
  ])('refuses to start with AUTH_MODE=%s, naming the backends and the fix', async (mode, env) => {
    await expect(startGateway(exchangeServers(as, modern, legacy), env)).rejects.toThrow(
      new RegExp(`gateway\\.config\\.json: mcpServers\\.modern\\.auth, mcpServers\\.legacy\\.auth: "token_exchange" exchanges each client's OAuth access token, but AUTH_MODE=${mode} gives the gateway no such token; set AUTH_MODE=jwt \\(with JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE\\) so clients bring one, or use "type": "client_credentials" for these backends`),
    );
  });

  it('fails a request made without a user token (the aggregation core used directly) with a clear error', async () => {
    const servers = parseServersConfig({ mcpServers: { modern: exchangeServers(as, modern, legacy).modern } }, 'servers.json', { TEST_EXCHANGE_SECRET: GATEWAY_CLIENT_SECRET });
    const aggregator = await openAggregator({ servers, clientInfo: { name: 'test', version: '1.0.0' } });
    try {
      // Its own requests work (client credentials): the catalog is there.
      expect((await aggregator.listTools()).map((tool) => tool.name)).toEqual(['modern__whoami']);
      await expect(aggregator.callTool('modern__whoami', {})).rejects.toMatchObject({
        code: TOKEN_EXCHANGE_FAILED,
        message: expect.stringMatching(/Backend "modern" gets the calling user's identity by token exchange, but this request carries no user access token to exchange: clients must authenticate with an OAuth bearer token \(AUTH_MODE=jwt\)/),
      });
      // With a user's token it acts for that user.
      const token = await as.userToken('heidi');
      const result = await onBehalfOf(token, () => aggregator.callTool('modern__whoami', {}));
      expect(text(result)).toBe('heidi');
    } finally {
      await aggregator.close();
    }
  });
});

describe('token exchange in the servers file', () => {
  const parse = (auth: Record<string, unknown>) => () =>
    parseServersConfig({ mcpServers: { users: { url: 'https://backend.example/mcp', auth: { type: 'token_exchange', tokenUrl: 'https://auth.example/token', clientId: 'gw', clientSecret: '${SECRET}', ...auth } } } }, 'gateway.config.json', { SECRET: 's3cret' });

  it('is read with audience, resource and scope, and rejected with a message naming the field and what to write', () => {
    expect(parse({ audience: 'https://backend.example', resource: 'https://backend.example/mcp', scope: 'files:read' })().servers[0]?.target).toMatchObject({
      auth: { type: 'token_exchange', clientId: 'gw', clientSecret: 's3cret', audience: 'https://backend.example', resource: 'https://backend.example/mcp', scope: 'files:read' },
    });
    expect(parse({ type: 'jwt_bearer' })).toThrow(/gateway\.config\.json: mcpServers\.users\.auth\.type: expected "client_credentials" \(the gateway's own token\) or "token_exchange" \(the calling user's token, exchanged\), got "jwt_bearer"/);
    expect(parse({ resource: 'not a uri' })).toThrow(/mcpServers\.users\.auth\.resource: not an absolute URI: "not a uri"; expected the backend's resource identifier/);
    expect(parse({ audience: '' })).toThrow(/mcpServers\.users\.auth\.audience: expected a non-empty string/);
    expect(parse({ clientSecret: '${UNSET_SECRET}' })).toThrow(/mcpServers\.users\.auth\.clientSecret: uses \$\{UNSET_SECRET\}, but the environment variable UNSET_SECRET is not set/);
    expect(parse({ tokenUrl: 'http://auth.example/token' })).toThrow(/mcpServers\.users\.auth\.tokenUrl: expected an https URL/);
    expect(parse({ subjectToken: 'x' })).toThrow(/mcpServers\.users\.auth\.subjectToken: unknown field for "token_exchange"; expected one of type, tokenUrl, clientId, clientSecret, audience, resource, scope/);
  });
});
