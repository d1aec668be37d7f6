import type { LiveContext } from '../check.js';

/** How long one probe may take, connection and body included. */
export const PROBE_TIMEOUT_MS = 5_000;
/** Bodies are read up to this size: enough to see an error or a stack trace, never a flood. */
const MAX_BODY_BYTES = 256 * 1024;
/** Longest wait honoured for a Retry-After between probes, and how often it is honoured. */
const MAX_RETRY_WAIT_MS = 2_000;
const MAX_RETRIES = 2;

/** What a probe saw: enough of the response to judge it. */
export interface ProbeResponse {
  status: number;
  headers: Headers;
  /** The body as text, cut at 256 KiB; empty for event streams opened by GET. */
  body: string;
  /** The URL that answered (after redirects). */
  url: string;
}

export interface ProbeInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send the `--header` credentials; default true. */
  credentials?: boolean;
  /** Wait out a 429 (Retry-After, capped) and try again; default true. The rate-limit probe turns it off. */
  retryRateLimited?: boolean;
  timeoutMs?: number;
}

/**
 * The instance could not be reached at all. The runner reports it as `skip` with this
 * message; it is never evidence for or against an item.
 */
export class UnreachableError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`Could not connect to ${target}: ${reason}`);
    this.name = 'UnreachableError';
  }
}

/** Headers an MCP client sends on a POST to the Streamable HTTP endpoint. */
export const MCP_POST_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/**
 * One HTTP request to the instance, bounded in time and body size. Connection failures throw
 * UnreachableError; any HTTP answer (including 4xx/5xx) is returned for the caller to judge.
 */
export async function probe(ctx: LiveContext, target: string, init: ProbeInit = {}): Promise<ProbeResponse> {
  const method = init.method ?? 'GET';
  // Probe headers replace --header values of the same name (e.g. a probe's own Origin).
  const headers = new Headers(init.credentials === false ? {} : { ...ctx.headers });
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
  for (let attempt = 0; ; attempt++) {
    const signal = AbortSignal.timeout(init.timeoutMs ?? PROBE_TIMEOUT_MS);
    let response: Response;
    try {
      response = await ctx.fetch(target, { method, headers, body: init.body, signal, redirect: 'manual' });
    } catch (error) {
      throw new UnreachableError(target, describeFetchError(error));
    }
    const body = await readBody(response, method);
    const result = { status: response.status, headers: response.headers, body, url: response.url || target };
    if (result.status !== 429 || init.retryRateLimited === false || attempt >= MAX_RETRIES) return result;
    await sleep(Math.min(MAX_RETRY_WAIT_MS, retryAfterMs(result.headers.get('retry-after')) ?? 1_000));
  }
}

/** Reads at most MAX_BODY_BYTES; an event stream opened by GET may never end, so it is not read. */
async function readBody(response: Response, method: string): Promise<string> {
  const stream = response.body;
  if (!stream) return '';
  if (method === 'GET' && (response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    await stream.cancel().catch(() => undefined);
    return '';
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= MAX_BODY_BYTES) break;
    }
  } catch {
    // A body cut short by the timeout still tells what the server started to say.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks.map((chunk) => Buffer.from(chunk))).subarray(0, MAX_BODY_BYTES));
}

/** The most specific reason a fetch failed: `ECONNREFUSED`, a certificate error, a timeout. */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code)
    return cause.message && !cause.message.includes(cause.code) ? `${cause.code} (${cause.message})` : cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Certificate and handshake failures: the server answered, but not over a TLS connection we can trust. */
export function isTlsFailure(reason: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_SSL|EPROTO|TLS|SSL|HOSTNAME_MISMATCH|ERR_TLS/i.test(
    reason,
  );
}

/** Retry-After in milliseconds (delta seconds or an HTTP date); `undefined` when absent or unreadable. */
export function retryAfterMs(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `localhost`, `127.x.x.x` and `::1`: traffic that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * JSON-RPC messages in a response body: plain JSON (object or batch) or the `data:` lines of
 * an event stream. Anything unparsable is left out.
 */
export function jsonRpcMessages(body: string): Record<string, unknown>[] {
  const parse = (text: string): Record<string, unknown>[] => {
    try {
      const value: unknown = JSON.parse(text);
      const list = Array.isArray(value) ? value : [value];
      return list.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
    } catch {
      return [];
    }
  };
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parse(trimmed);
  const messages: Record<string, unknown>[] = [];
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) messages.push(...parse(data));
  }
  return messages;
}

/** The JSON-RPC error code in a body, if it carries one. */
export function jsonRpcErrorCode(body: string): number | undefined {
  for (const message of jsonRpcMessages(body)) {
    const error = message.error as { code?: unknown } | undefined;
    if (typeof error?.code === 'number') return error.code;
  }
  return undefined;
}

/** Frames of a JavaScript (or Python) stack trace: internals a client must never see. */
const STACK_TRACE =
  /\n\s*at\s+[^\n]*(?:\(|\s)[^\n]*:\d+:\d+\)?|Traceback \(most recent call last\)|\bat\s+(?:async\s+)?[\w$.<>]+\s+\((?:file:\/\/|node:|\/)[^)]*:\d+:\d+\)/;

export function hasStackTrace(body: string): boolean {
  // Stack traces inside JSON strings arrive with escaped newlines.
  return STACK_TRACE.test(body) || STACK_TRACE.test(body.replace(/\\n/g, '\n'));
}

/** A JSON-RPC request body. */
export function rpc(id: number | string, method: string, params?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
}

/** An `initialize` request as a client that speaks the SDK's latest protocol version would send it. */
export function initializeBody(id: number | string, protocolVersion: string, clientVersion: string): string {
  return rpc(id, 'initialize', {
    protocolVersion,
    capabilities: {},
    clientInfo: { name: 'mcp-arch-verify', version: clientVersion },
  });
}

/** Whether any `--header` was given; without credentials some probes cannot get past authentication. */
export function hasCredentials(ctx: LiveContext): boolean {
  return Object.keys(ctx.headers).length > 0;
}
