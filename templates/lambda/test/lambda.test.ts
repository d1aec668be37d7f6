import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaHandler, type LambdaHandler } from '../src/serverless/lambda.js';
import { answerOf, fixture, lambdaContext, withBody, withHeaders, withMethod, type Answer } from './lambda-helpers.js';
import { ALLOWED_ORIGIN, API_KEY, AUDIENCE, capturedLogger, ISSUER, startJwks, type Jwks } from './serverless-helpers.js';

const ENV = {
  AUTH_MODE: 'apikey',
  API_KEYS: API_KEY,
  ALLOWED_ORIGINS: ALLOWED_ORIGIN,
  FUNCTION_TIMEOUT_SECONDS: '29',
  RATE_LIMIT_RPS: '1000',
};
const AUTH = { authorization: `Bearer ${API_KEY}` };

// Every failure must come back as a response: a rejection left unhandled would crash a real instance.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function invoke(handler: LambdaHandler, event: unknown, awsRequestId?: string): Promise<Answer> {
  return answerOf(await handler(event, lambdaContext(awsRequestId)));
}

describe('Lambda handler: API Gateway HTTP API and Function URL events', () => {
  const log = capturedLogger();
  const handler = createLambdaHandler(ENV, { logger: log.logger });
  const authed = (name: string) => withHeaders(fixture(name), AUTH);

  it('answers a 2026-07-28 tool call with one JSON response', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: {
        name: 'echo',
        arguments: { text: 'modern' },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'lambda-test', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
    const modern = withHeaders(withBody(authed('http-api-tools-call'), body), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
    const answer = await invoke(handler, modern);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.json).toMatchObject({ id: 4, result: { content: [{ type: 'text', text: 'modern' }] } });

    const mismatched = await invoke(handler, withHeaders(modern, { 'mcp-method': 'tools/list' }));
    expect(mismatched.status).toBe(400);
    expect(mismatched.json).toMatchObject({ error: { code: -32020 } });
  });

  it('answers a 2025 initialize without a session', async () => {
    const answer = await invoke(handler, authed('http-api-initialize'));
    expect(answer.status).toBe(200);
    expect(answer.headers['mcp-session-id']).toBeUndefined();
    expect(answer.json).toMatchObject({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-11-25', capabilities: { tools: {} } } });
  });

  it('lists the tools without a prior initialize: each request has its own fresh server', async () => {
    const answer = await invoke(handler, authed('http-api-tools-list'));
    expect(answer.status).toBe(200);
    expect(answer.json.result.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'slow_count']));
  });

  it('calls a tool from a plain body and from a base64 body alike', async () => {
    for (const name of ['http-api-tools-call', 'http-api-tools-call-base64']) {
      const answer = await invoke(handler, authed(name));
      expect(answer.status, name).toBe(200);
      expect(answer.json).toMatchObject({ id: 3, result: { structuredContent: { sum: 42 } } });
    }
  });

  it('serves a Lambda Function URL event (base64 body)', async () => {
    const event = authed('function-url-tools-call');
    expect(event.isBase64Encoded).toBe(true);
    const answer = await invoke(handler, event);
    expect(answer.status).toBe(200);
    expect(answer.json.result.content).toEqual([{ type: 'text', text: 'sent base64-encoded' }]);
  });

  it('reports invalid tool arguments as a JSON-RPC result, not an HTTP error', async () => {
    const event = withBody(authed('http-api-tools-call'), { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'add', arguments: { a: 'two' } } });
    const answer = await invoke(handler, event);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: 9, result: { isError: true } });
  });

  it('answers bad JSON with 400 and a JSON-RPC parse error', async () => {
    for (const base64 of [false, true]) {
      const answer = await invoke(handler, withBody(authed('http-api-tools-call'), '{"jsonrpc": "2.0", "id": ', { base64 }));
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(/parse error/i) }, id: null });
    }
  });

  it('refuses a body over MAX_BODY_BYTES with 413 before parsing it', async () => {
    const huge = { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(1_100_000) } } };
    for (const base64 of [false, true]) {
      const answer = await invoke(handler, withBody(authed('http-api-tools-call'), huge, { base64 }));
      expect(answer.status).toBe(413);
      expect(answer.json.error).toMatchObject({ code: -32000, message: expect.stringMatching(/exceeds 1048576 bytes/) });
    }
  });

  it('refuses a foreign Origin with 403, even with valid credentials', async () => {
    const answer = await invoke(handler, withHeaders(authed('http-api-tools-list'), { origin: 'https://evil.example' }));
    expect(answer.status).toBe(403);
    expect(answer.json.error.message).toMatch(/Origin not allowed/);
  });

  it('answers a CORS preflight from an allowed origin, allowing the MCP headers', async () => {
    const answer = await invoke(handler, fixture('http-api-preflight'));
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const allowed = answer.headers['access-control-allow-headers']!.toLowerCase();
    for (const header of ['authorization', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id']) expect(allowed).toContain(header);
    expect(answer.headers['access-control-allow-methods']).toContain('POST');
  });

  it('refuses a preflight from a foreign origin', async () => {
    const answer = await invoke(handler, withHeaders(fixture('http-api-preflight'), { origin: 'https://evil.example' }));
    expect(answer.status).toBe(403);
  });

  it('exposes the MCP headers to an allowed browser origin', async () => {
    const answer = await invoke(handler, withHeaders(authed('http-api-tools-list'), { origin: ALLOWED_ORIGIN }));
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const exposed = answer.headers['access-control-expose-headers']!.toLowerCase();
    for (const header of ['mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'www-authenticate']) expect(exposed).toContain(header);
  });

  it('answers 401 with a WWW-Authenticate challenge when the key is missing or wrong', async () => {
    const missing = await invoke(handler, fixture('http-api-tools-list'));
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer resource_metadata="https:\/\/a1b2c3d4e5\.execute-api\.eu-west-1\.amazonaws\.com\/\.well-known\/oauth-protected-resource"$/);
    expect(missing.json.error.code).toBe(-32000);
    const wrong = await invoke(handler, withHeaders(fixture('http-api-tools-list'), { authorization: 'Bearer not-the-key-0123456789' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('answers GET and DELETE with 405: a function holds no stream and no session', async () => {
    for (const method of ['GET', 'DELETE']) {
      const answer = await invoke(handler, withMethod(authed('http-api-get'), method));
      expect(answer.status, method).toBe(405);
      expect(answer.json.error.message).toMatch(/method not allowed/i);
    }
  });

  it('serves /health through the same routes', async () => {
    const event = { ...fixture('http-api-get'), rawPath: '/health' };
    const answer = await invoke(handler, event);
    expect(answer.status).toBe(200);
    expect(answer.json.status).toBe('ok');
  });

  it('answers an event that is not HTTP payload 2.0 with 400, naming what it expects', async () => {
    for (const event of [{}, null, { httpMethod: 'POST', path: '/mcp', headers: {}, body: '{}', requestContext: {} }]) {
      const answer = await invoke(handler, event);
      expect(answer.status).toBe(400);
      expect(answer.json.error.message).toMatch(/payload format 2\.0/);
    }
  });

  it('answers an event that is no valid HTTP request with a JSON-RPC 400 too', async () => {
    const answer = await invoke(handler, withHeaders(authed('http-api-tools-list'), { 'x-broken': 'line\nbreak' }));
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: expect.stringMatching(/not describe a valid HTTP request/) }, id: null });
    const unicode = await invoke(handler, withHeaders(authed('http-api-tools-list'), { 'user-agent': 'client/1.0 (Zoë’s laptop)' }));
    expect(unicode.status).toBe(200);
  });

  it('uses the Lambda request id as the request id of the logs and the response', async () => {
    const answer = await invoke(handler, authed('http-api-tools-list'), 'c0ffee00-1111-2222-3333-444455556666');
    expect(answer.headers['x-request-id']).toBe('c0ffee00-1111-2222-3333-444455556666');
    expect(log.lines().some((line) => line.requestId === 'c0ffee00-1111-2222-3333-444455556666')).toBe(true);
  });

  it('never logs the credential', () => {
    expect(JSON.stringify(log.lines())).not.toContain(API_KEY);
  });
});

describe('Lambda handler: tool calls end before the function does', () => {
  it('turns a call slower than REQUEST_TIMEOUT_MS into a tool error inside the invocation', async () => {
    const handler = createLambdaHandler({ ...ENV, FUNCTION_TIMEOUT_SECONDS: '3', REQUEST_TIMEOUT_MS: '300' }, { logger: capturedLogger().logger });
    const slow = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow_count', arguments: { steps: 20, intervalMs: 100 } } };
    const started = Date.now();
    const answer = await invoke(handler, withBody(withHeaders(fixture('http-api-tools-call'), AUTH), slow));
    expect(Date.now() - started).toBeLessThan(2400);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: 7, result: { isError: true, content: [{ type: 'text', text: expect.stringMatching(/timed out after 300 ms/) }] } });
  });
});

describe('Lambda handler: a function timeout that does not match FUNCTION_TIMEOUT_SECONDS', () => {
  it('warns once per instance when an invocation has less time than a tool call may take', async () => {
    const log = capturedLogger();
    const handler = createLambdaHandler(ENV, { logger: log.logger });
    for (let i = 0; i < 2; i += 1) {
      const answer = answerOf(await handler(withHeaders(fixture('http-api-tools-list'), AUTH), lambdaContext(undefined, 5_000)));
      expect(answer.status).toBe(200);
    }
    const warnings = log.lines().filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ remainingMs: 5_000, requestTimeoutMs: 26_000, msg: expect.stringMatching(/FUNCTION_TIMEOUT_SECONDS/) });
  });

  it('stays quiet when the function has the time it was configured with', async () => {
    const log = capturedLogger();
    const handler = createLambdaHandler(ENV, { logger: log.logger });
    // The runtime reports a little less than the full timeout at the start of an invocation.
    await handler(withHeaders(fixture('http-api-tools-list'), AUTH), lambdaContext(undefined, 28_990));
    expect(log.lines().filter((line) => line.level === 'warn')).toEqual([]);
  });
});

describe('Lambda handler: JWT verification', () => {
  let jwks: Jwks;
  let handler: LambdaHandler;
  beforeAll(async () => {
    jwks = await startJwks();
    handler = createLambdaHandler(
      { AUTH_MODE: 'jwt', JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, FUNCTION_TIMEOUT_SECONDS: '29', RATE_LIMIT_RPS: '1000' },
      { logger: capturedLogger().logger },
    );
  });
  afterAll(async () => {
    await jwks?.close();
  });
  const bearer = (token: string) => withHeaders(fixture('http-api-tools-call'), { authorization: `Bearer ${token}` });

  it('accepts a good token, fetching the JWKS once for all invocations of the instance', async () => {
    for (let i = 0; i < 3; i += 1) {
      const answer = await invoke(handler, bearer(await jwks.token()));
      expect(answer.status).toBe(200);
      expect(answer.json.result.structuredContent).toEqual({ sum: 42 });
    }
    expect(jwks.hits()).toBe(1);
  });

  it.each([
    ['a wrong audience', () => jwks.token({ aud: 'https://another-api.example.test' })],
    ['an expired token', () => jwks.token({ exp: '-1m' })],
  ])('rejects %s with 401 invalid_token', async (_, makeToken) => {
    const answer = await invoke(handler, bearer(await makeToken()));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(answer.json.error.code).toBe(-32000);
  });

  it('rejects a missing token with 401 and the resource metadata URL', async () => {
    const answer = await invoke(handler, fixture('http-api-tools-call'));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer resource_metadata="[^"]+"$/);
  });

  it('serves its protected resource metadata naming the issuer and audience', async () => {
    const answer = await invoke(handler, { ...fixture('http-api-get'), rawPath: '/.well-known/oauth-protected-resource' });
    expect(answer.json).toMatchObject({ resource: AUDIENCE, authorization_servers: [ISSUER] });
  });
});

describe('Lambda handler: configuration a function cannot run with', () => {
  it.each([
    ['no AUTH_MODE', { ...ENV, AUTH_MODE: undefined }, /AUTH_MODE: required/],
    ['stateful sessions', { ...ENV, SESSION_MODE: 'stateful' }, /SESSION_MODE: functions keep nothing/],
    ['a tool timeout beyond the function timeout', { ...ENV, REQUEST_TIMEOUT_MS: '30000' }, /REQUEST_TIMEOUT_MS: 30000 ms does not end before the function timeout of 29 s/],
    ['no function timeout', { ...ENV, FUNCTION_TIMEOUT_SECONDS: undefined }, /FUNCTION_TIMEOUT_SECONDS: required/],
  ])('answers 500 to every request with %s, and logs why once', async (_, env, problem) => {
    const log = capturedLogger();
    const handler = createLambdaHandler(env, { logger: log.logger });
    for (let i = 0; i < 2; i += 1) {
      const answer = await invoke(handler, withHeaders(fixture('http-api-tools-list'), AUTH));
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Server misconfigured: see the function logs' }, id: null });
    }
    const fatal = log.lines().filter((line) => line.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0]!.msg)).toMatch(problem);
  });
});
