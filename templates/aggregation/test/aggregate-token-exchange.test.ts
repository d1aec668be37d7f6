import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangedTokens, TokenEndpointError, type TokenExchange } from '../src/aggregate/index.js';

/** A token endpoint on loopback that answers each exchange with what `respond` says, and counts them. */
async function startTokenEndpoint() {
  const forms: URLSearchParams[] = [];
  let respond: (form: URLSearchParams) => { status: number; json: unknown } = (form) => ({
    status: 200,
    json: { access_token: `for-${form.get('subject_token')}-${forms.length}`, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 600 },
  });
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      forms.push(form);
      const { status, json } = respond(form);
      response.writeHead(status, { 'content-type': 'application/json' }).end(typeof json === 'string' ? json : JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token`),
    forms,
    answer(next: typeof respond) {
      respond = next;
    },
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

/** The error a promise rejects with; a promise that resolves fails the test. */
const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the exchange to be refused');
    },
    (error: unknown) => error as TokenEndpointError,
  );

describe('exchanged tokens of one backend', () => {
  let endpoint: Awaited<ReturnType<typeof startTokenEndpoint>>;
  let config: TokenExchange;
  beforeAll(async () => {
    endpoint = await startTokenEndpoint();
    config = { type: 'token_exchange', tokenUrl: endpoint.url, clientId: 'gw', clientSecret: 'gw-secret', audience: 'https://backend.test' };
  });
  afterAll(() => endpoint?.close());

  it('are kept per client token until shortly before they expire, and exchanged again after', async () => {
    let now = 1_000_000;
    const tokens = new ExchangedTokens(config, { backend: 'b', timeoutMs: 2000, now: () => now });
    const first = endpoint.forms.length;
    const alice = await tokens.get('alice-token');
    expect(await tokens.get('alice-token')).toBe(alice);
    expect(await tokens.get('bob-token')).not.toBe(alice);
    expect(endpoint.forms.length - first).toBe(2);
    // 600 s lifetime, renewed 30 s early.
    now += 569_000;
    expect(await tokens.get('alice-token')).toBe(alice);
    now += 2_000;
    expect(await tokens.get('alice-token')).not.toBe(alice);
    expect(endpoint.forms.length - first).toBe(3);
    expect(endpoint.forms.at(-1)?.get('audience')).toBe('https://backend.test');
  });

  it('hold at most maxEntries, dropping the least recently used first', async () => {
    const tokens = new ExchangedTokens(config, { backend: 'b', timeoutMs: 2000, maxEntries: 2 });
    const a = await tokens.get('a');
    await tokens.get('b');
    // Using `a` makes `b` the least recently used one.
    await tokens.get('a');
    await tokens.get('c');
    expect(tokens.size).toBe(2);
    const before = endpoint.forms.length;
    expect(await tokens.get('a')).toBe(a);
    expect(endpoint.forms.length).toBe(before);
    await tokens.get('b');
    expect(endpoint.forms.length).toBe(before + 1);
  });

  it('drop a refused token only once, and share one exchange among concurrent callers', async () => {
    const tokens = new ExchangedTokens(config, { backend: 'b', timeoutMs: 2000 });
    const before = endpoint.forms.length;
    const [one, two, three] = await Promise.all([tokens.get('x'), tokens.get('x'), tokens.get('x')]);
    expect(new Set([one, two, three]).size).toBe(1);
    expect(endpoint.forms.length).toBe(before + 1);
    tokens.invalidate('x', one!);
    const renewed = await tokens.get('x');
    // A late refusal of the old token does not throw the new one away.
    tokens.invalidate('x', one!);
    expect(await tokens.get('x')).toBe(renewed);
    expect(endpoint.forms.length).toBe(before + 2);
  });

  it('fail with the endpoint, the error code and what to do, never showing the client token', async () => {
    const tokens = new ExchangedTokens(config, { backend: 'b', timeoutMs: 2000 });
    endpoint.answer((form) => ({ status: 400, json: { error: 'invalid_grant', error_description: `token ${form.get('subject_token')} is expired` } }));
    const refused = await refusalOf(tokens.get('secret-user-token'));
    expect(refused).toBeInstanceOf(TokenEndpointError);
    expect(refused.message).toBe(`the token endpoint ${endpoint.url.href} answered 400 without an access token (invalid_grant: token [redacted] is expired); the authorization server does not accept the client's access token for exchange (expired, revoked, or not one it may exchange); the client should get a new token`);
    expect(refused.refusal).toEqual({ endpoint: endpoint.url.href, status: 400, code: 'invalid_grant' });
    endpoint.answer(() => ({ status: 502, json: 'upstream secret-user-token failed' }));
    expect((await refusalOf(tokens.get('secret-user-token'))).message).toBe(`the token endpoint ${endpoint.url.href} answered 502 without an access token (upstream [redacted] failed)`);
    endpoint.answer(() => ({ status: 200, json: { access_token: 'opaque', issued_token_type: 'urn:ietf:params:oauth:token-type:id_token', token_type: 'N_A' } }));
    await expect(tokens.get('secret-user-token')).rejects.toThrow(/issued a token of type "N_A", not a Bearer access token/);
    expect(tokens.size).toBe(0);
  });
});
