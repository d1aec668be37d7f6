import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { LambdaContext } from 'hono/aws-lambda';
import { createLogger, type Logger } from '../src/observability/logger.js';
import type { HttpEventV2, LambdaResult } from '../src/serverless/lambda.js';

export const API_KEY = 'lambda-key-0123456789abcdef';
export const ALLOWED_ORIGIN = 'https://app.example.com';
export const ISSUER = 'https://auth.example.test/';
export const AUDIENCE = 'https://mcp.example.test/mcp';

/** A recorded event from test/fixtures/ (API Gateway HTTP API payload 2.0 or Function URL). */
export function fixture(name: string): HttpEventV2 {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as HttpEventV2;
}

export function withHeaders(event: HttpEventV2, headers: Record<string, string | undefined>): HttpEventV2 {
  const merged = { ...event.headers, ...headers };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return { ...event, headers: merged };
}

/** Replaces the body as API Gateway would deliver it: plain text, or base64 for binary payloads. */
export function withBody(event: HttpEventV2, body: string | object, { base64 = false } = {}): HttpEventV2 {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    ...withHeaders(event, { 'content-length': String(Buffer.byteLength(text)) }),
    body: base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: base64,
  };
}

export function withMethod(event: HttpEventV2, method: string): HttpEventV2 {
  return { ...withHeaders(event, { 'content-type': undefined, 'content-length': undefined }), body: null, isBase64Encoded: false, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method } } };
}

export function lambdaContext(awsRequestId: string = randomUUID(), remainingMs = 29_000): LambdaContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'mcp-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:mcp-test',
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: '/aws/lambda/mcp-test',
    logStreamName: '2026/11/24/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, any>;
}

/** A Lambda proxy result with its body decoded and parsed (it must be JSON, whatever happened). */
export function answerOf(result: LambdaResult): Answer {
  const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { status: result.statusCode, headers, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** A logger whose JSON lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void chunks.push(line) });
  return {
    logger,
    lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface Jwks {
  url: string;
  /** How many times the JWKS was fetched. */
  hits(): number;
  token(claims?: { aud?: string; exp?: string }): Promise<string>;
  close(): Promise<void>;
}

/** An authorization server's JWKS endpoint on loopback, and tokens signed with its key. */
export async function startJwks(): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sign = (key: CryptoKey, { aud = AUDIENCE, exp = '5m' }: { aud?: string; exp?: string } = {}) =>
    new SignJWT({ scope: 'tools:call' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    token: (claims) => sign(privateKey, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The MCP request bodies of the fixtures, for runtimes that take web Requests. */
export const BODIES = {
  initialize: JSON.parse(fixture('http-api-initialize').body!) as Record<string, unknown>,
  toolsList: JSON.parse(fixture('http-api-tools-list').body!) as Record<string, unknown>,
  toolsCall: JSON.parse(fixture('http-api-tools-call').body!) as Record<string, unknown>,
};
