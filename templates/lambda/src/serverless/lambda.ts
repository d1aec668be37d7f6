import { getConnInfo, handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { JSONRPC } from '../http/errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createServerlessApp, type ServerlessApp } from './app.js';
import { responseMarginMs } from './config.js';

/**
 * The event of an API Gateway HTTP API (payload format 2.0) or a Lambda Function URL: both
 * deliver this shape, with lower-case header names and a body that may be base64-encoded.
 */
export type HttpEventV2 = Extract<LambdaEvent, { rawPath: string }>;

export type LambdaResult = APIGatewayProxyResult;

export type LambdaHandler = (event: unknown, context?: LambdaContext) => Promise<LambdaResult>;

export interface LambdaHandlerOptions {
  logger?: Logger;
}

function isHttpEventV2(event: unknown): event is HttpEventV2 {
  if (typeof event !== 'object' || event === null) return false;
  const { version, rawPath, requestContext } = event as { version?: unknown; rawPath?: unknown; requestContext?: { http?: { method?: unknown } } };
  return version === '2.0' && typeof rawPath === 'string' && typeof requestContext?.http?.method === 'string';
}

/** A JSON-RPC error as a Lambda proxy result, for failures outside the app (which shapes its own). */
function errorResult(statusCode: number, code: number, message: string): LambdaResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
    isBase64Encoded: false,
  };
}

/**
 * A Lambda handler for HTTP API (payload 2.0) and Function URL events. The app is built once,
 * when the module is loaded (the instance's cold start), and reused by every invocation the
 * instance serves: the JWKS fetched to verify a JWT stays cached across them. Each request
 * still gets a fresh MCP server, since any invocation may land on any instance.
 *
 * Every outcome is an HTTP response with a JSON-RPC body; nothing is left to reject.
 */
export function createLambdaHandler(env: Record<string, string | undefined>, { logger }: LambdaHandlerOptions = {}): LambdaHandler {
  const ready: Promise<{ serve: ReturnType<typeof handle>; built: ServerlessApp } | undefined> = createServerlessApp(env, {
    remoteAddress: (c) => getConnInfo(c).remote.address,
    logger,
  }).then(
    (built) => ({ serve: handle(built.app), built }),
    (error: unknown) => {
      // Logged once per instance; each request then gets a 500 instead of an opaque init failure.
      const log = logger ?? createLogger('info');
      log.fatal({ err: error }, error instanceof Error ? error.message : 'cannot build the app');
      return undefined;
    },
  );

  let timeoutChecked = false;
  return async function handler(event, context) {
    if (!isHttpEventV2(event)) {
      return errorResult(400, JSONRPC.invalidRequest, 'Unsupported event: expected an API Gateway HTTP API event (payload format 2.0) or a Lambda Function URL event');
    }
    const app = await ready;
    if (!app) return errorResult(500, JSONRPC.internalError, 'Server misconfigured: see the function logs');
    if (!timeoutChecked && context) {
      timeoutChecked = true;
      checkRemainingTime(app.built, context.getRemainingTimeInMillis());
    }
    if (!isWellFormed(event)) {
      app.built.logger.warn({ awsRequestId: context?.awsRequestId }, 'event with malformed headers or path');
      return errorResult(400, JSONRPC.invalidRequest, INVALID_REQUEST);
    }
    try {
      return asJsonRpc(await app.serve(withRequestId(event, context), context));
    } catch (error) {
      app.built.logger.error({ err: error, awsRequestId: context?.awsRequestId }, 'unhandled error');
      return errorResult(500, JSONRPC.internalError, 'Internal error');
    }
  };
}

const INVALID_REQUEST = 'Invalid request: the event does not describe a valid HTTP request';

/**
 * Whether the adapter can turn the event into a web Request. Checked here so that a malformed
 * event (e.g. a header value with a line break) is logged as JSON and answered like any other
 * bad request, instead of by the adapter in plain text.
 */
function isWellFormed(event: HttpEventV2): boolean {
  try {
    // The adapter percent-encodes non-ASCII values before use; only what survives that counts.
    const headers = Object.entries(event.headers ?? {}).flatMap(([name, value]) =>
      typeof value === 'string' ? [[name, /[^\x00-\x7F]/.test(value) ? encodeURIComponent(value) : value] as [string, string]] : [],
    );
    new Headers(headers);
    new URL(`https://${event.requestContext.domainName ?? event.headers?.host ?? 'localhost'}${event.rawPath}?${event.rawQueryString ?? ''}`);
    return true;
  } catch {
    return false;
  }
}

/** The app answers every error with a JSON-RPC body; anything else the adapter answered gets that shape too. */
function asJsonRpc(result: LambdaResult): LambdaResult {
  const contentType = Object.entries(result.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (result.statusCode < 400 || /json/i.test(String(contentType ?? ''))) return result;
  return result.statusCode < 500
    ? errorResult(result.statusCode, JSONRPC.invalidRequest, INVALID_REQUEST)
    : errorResult(result.statusCode, JSONRPC.internalError, 'Internal error');
}

/**
 * FUNCTION_TIMEOUT_SECONDS is what the tool budget was computed from; the first invocation shows
 * the real limit. A function whose Timeout was changed without it would cut tool calls off
 * before they can answer, so say so once per instance.
 */
function checkRemainingTime({ config, functionTimeoutMs, logger }: ServerlessApp, remainingMs: number): void {
  // Half the margin: the clock has already run a little when the handler reads it.
  if (remainingMs >= config.requestTimeoutMs + responseMarginMs(functionTimeoutMs) / 2) return;
  logger.warn(
    { remainingMs, requestTimeoutMs: config.requestTimeoutMs, functionTimeoutMs },
    'the invocation has less time left than a tool call may take: set FUNCTION_TIMEOUT_SECONDS to the function\'s Timeout',
  );
}

/** Lambda's own request id becomes the log correlation id unless the caller sent a usable one. */
function withRequestId(event: HttpEventV2, context: LambdaContext | undefined): HttpEventV2 {
  if (!context?.awsRequestId || event.headers?.['x-request-id']) return event;
  return { ...event, headers: { ...event.headers, 'x-request-id': context.awsRequestId } };
}
