import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LambdaContext } from 'hono/aws-lambda';
import type { HttpEventV2, LambdaResult } from '../src/serverless/lambda.js';

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
  return { status: result.statusCode, headers, json: parseAnswer(text, headers['content-type']) };
}

/**
 * The JSON body, or the last message of an SSE body: 2025-era requests are answered by the SDK's
 * stateless transport, which streams (the platform buffers the stream into one response).
 */
export function parseAnswer(text: string, contentType = ''): Record<string, any> {
  if (!text) return {};
  if (!contentType.includes('text/event-stream')) return JSON.parse(text) as Record<string, any>;
  const messages = text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6);
  return JSON.parse(messages.at(-1)!.slice(6)) as Record<string, any>;
}
