import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as McpServer } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { toolInfo } from '../../core/tool-info.js';
import type { ReceivedSpan } from '../check.js';

/** Requests to the loopback helpers are read up to this size; anything bigger is refused. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** A small HTTP server on 127.0.0.1 that verify runs for the project to call. */
export interface LoopbackServer {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  close(): Promise<void>;
}

async function listen(
  handler: (request: IncomingMessage, body: Buffer) => { status: number; type: string; body: string | Buffer },
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_REQUEST_BYTES) {
        response.writeHead(413).end();
        return;
      }
      const answer = handler(request, Buffer.concat(chunks));
      response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * An OTLP/HTTP trace receiver (`POST /v1/traces`). JSON payloads are decoded span by span;
 * protobuf payloads are kept raw and searched for the ids a probe sent, which is all a probe
 * needs to know (a span with that trace id and that parent arrived).
 */
export interface OtlpReceiver extends LoopbackServer {
  spans(): ReceivedSpan[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const decoded: ReceivedSpan[] = [];
  const raw: Buffer[] = [];
  const { server, url } = await listen((request, body) => {
    if (request.method !== 'POST' || !request.url?.startsWith('/v1/traces'))
      return { status: 404, type: 'text/plain', body: 'not found' };
    const type = request.headers['content-type'] ?? '';
    if (type.includes('json')) {
      decoded.push(...spansFromJson(body.toString('utf8')));
      return { status: 200, type: 'application/json', body: '{}' };
    }
    raw.push(body);
    // An empty ExportTraceServiceResponse.
    return { status: 200, type: 'application/x-protobuf', body: Buffer.alloc(0) };
  });
  return {
    url,
    spans: () => [...decoded, ...raw.flatMap(spansFromProtobuf)],
    close: () => closeServer(server),
  };
}

/** Spans of an OTLP JSON export (`resourceSpans[].scopeSpans[].spans[]`, ids in hex). */
export function spansFromJson(text: string): ReceivedSpan[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  const out: ReceivedSpan[] = [];
  const list = (value: unknown, key: string): Record<string, unknown>[] => {
    const items = (value as Record<string, unknown> | undefined)?.[key];
    return Array.isArray(items)
      ? items.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
      : [];
  };
  for (const resource of list(data, 'resourceSpans')) {
    for (const scope of list(resource, 'scopeSpans')) {
      for (const span of list(scope, 'spans')) {
        out.push({
          traceId: String(span.traceId ?? '').toLowerCase(),
          spanId: String(span.spanId ?? '').toLowerCase(),
          parentSpanId: String(span.parentSpanId ?? '').toLowerCase(),
          name: String(span.name ?? ''),
        });
      }
    }
  }
  return out;
}

/**
 * Spans of a protobuf export, read with just enough of the wire format: a Span message has
 * trace_id (field 1, 16 bytes), span_id (2, 8 bytes), parent_span_id (4, 8 bytes), name (5).
 * Every length-delimited field is walked recursively and a message with a 16-byte field 1 and
 * an 8-byte field 2 is taken as a span.
 */
export function spansFromProtobuf(buffer: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const walk = (bytes: Buffer, depth: number): boolean => {
    const fields = new Map<number, Buffer[]>();
    let offset = 0;
    while (offset < bytes.length) {
      const key = readVarint(bytes, offset);
      if (!key) return false;
      offset = key.next;
      const field = Number(key.value >> 3n);
      const wire = Number(key.value & 7n);
      if (field === 0) return false;
      if (wire === 0) {
        const value = readVarint(bytes, offset);
        if (!value) return false;
        offset = value.next;
      } else if (wire === 1) offset += 8;
      else if (wire === 5) offset += 4;
      else if (wire === 2) {
        const length = readVarint(bytes, offset);
        if (!length || length.next + Number(length.value) > bytes.length) return false;
        const value = bytes.subarray(length.next, length.next + Number(length.value));
        offset = length.next + Number(length.value);
        fields.set(field, [...(fields.get(field) ?? []), value]);
      } else return false;
    }
    if (offset !== bytes.length) return false;
    const trace = fields.get(1)?.[0];
    const span = fields.get(2)?.[0];
    if (trace?.length === 16 && span?.length === 8) {
      out.push({
        traceId: trace.toString('hex'),
        spanId: span.toString('hex'),
        parentSpanId: fields.get(4)?.[0]?.toString('hex') ?? '',
        name: fields.get(5)?.[0]?.toString('utf8') ?? '',
      });
      return true;
    }
    if (depth < 6)
      for (const values of fields.values()) for (const value of values) if (value.length > 0) walk(value, depth + 1);
    return true;
  };
  walk(buffer, 0);
  return out;
}

function readVarint(bytes: Buffer, start: number): { value: bigint; next: number } | undefined {
  let value = 0n;
  let shift = 0n;
  for (let offset = start; offset < bytes.length && shift < 64n; offset++) {
    const byte = bytes[offset] as number;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: offset + 1 };
    shift += 7n;
  }
  return undefined;
}

/**
 * A JWKS endpoint with one RS256 key, and the tokens it vouches for: what a project in
 * `AUTH_MODE=jwt` is pointed at so verify can authenticate, and send a token whose only
 * fault is its audience.
 */
export interface JwksIssuer extends LoopbackServer {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** A signed token for `audience` (or another), valid for an hour. */
  token(audience?: string): string;
}

export async function startJwksIssuer(): Promise<JwksIssuer> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const { server, url } = await listen((request) =>
    request.method === 'GET' && request.url === '/.well-known/jwks.json'
      ? { status: 200, type: 'application/json', body: JSON.stringify({ keys: [jwk] }) }
      : { status: 404, type: 'text/plain', body: 'not found' },
  );
  const issuer = `${url}/`;
  const audience = 'https://mcp-arch-verify.invalid/mcp';
  return {
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    issuer,
    audience,
    token: (aud = audience) =>
      signJwt(privateKey, kid, { iss: issuer, aud, sub: 'mcp-arch-verify', client_id: 'mcp-arch-verify' }),
    close: () => closeServer(server),
  };
}

function signJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'RS256', typ: 'JWT', kid })}.${encode({ ...claims, iat: now, nbf: now - 5, exp: now + 3600 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** An MCP server on 127.0.0.1 with one `echo` tool, that a probe can take down and count calls to. */
export interface McpBackend extends LoopbackServer {
  /** Requests that reached the backend (MCP or not). */
  hits: number;
  /** While true, every request gets 503 before any MCP handling. */
  down: boolean;
}

export async function startMcpBackend(): Promise<McpBackend> {
  const state = { hits: 0, down: false };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    state.hits++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (state.down) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('backend down');
      return;
    }
    // The low-level server: one tool needs no schema library.
    const server = new McpServer(
      { name: 'mcp-arch-verify-backend', version: toolInfo().version },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [
        {
          name: 'echo',
          description: 'Echoes the text',
          inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } }, required: ['text'] },
        },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, (request) => ({
      content: [{ type: 'text' as const, text: String(request.params.arguments?.text ?? '') }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    const text = Buffer.concat(chunks).toString('utf8');
    await transport.handleRequest(req, res, text ? (JSON.parse(text) as unknown) : undefined);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () => closeServer(server),
  };
}
