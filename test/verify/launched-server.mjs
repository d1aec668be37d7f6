// A small MCP server that `verify --live` starts as a project's `start.run`, well behaved by
// default and broken one way at a time through FAULTS (comma-separated):
//   plain-logs        logs a line that is not JSON
//   no-request-id     JSON log lines without a request id
//   log-credentials   logs the Authorization header and tool arguments verbatim
//   no-spans          never exports a span
//   new-trace         exports spans that start a new trace instead of continuing traceparent
//   exit-on-sigterm   exits at once on SIGTERM, killing the call in flight
//   exit-1            drains on SIGTERM but exits 1
//   ready-ignores-store  /ready answers 200 even when REDIS_URL cannot be reached
//   ignore-audience   accepts JWTs for any audience
//   no-breaker        with GATEWAY_CONFIG, forwards every echo call to the backend, failing or not
//   no-half-open      with GATEWAY_CONFIG, a breaker that once open stays open
//   exit-on-backend-failure  with GATEWAY_CONFIG, exits (code 3) when the backend first fails
// PID_FILE, when set, gets this process id appended, so tests can prove it was stopped.
import { createPublicKey, randomBytes, randomUUID, verify as verifySignature } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const faults = new Set((process.env.FAULTS ?? '').split(',').filter(Boolean));
if (process.env.PID_FILE) appendFileSync(process.env.PID_FILE, `${process.pid}\n`);

const log = (fields, msg) => {
  if (faults.has('plain-logs')) process.stdout.write(`INFO ${msg}\n`);
  else process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), ...fields, msg })}\n`);
};

async function authenticated(req) {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return false;
  if (process.env.AUTH_MODE === 'apikey') return (process.env.API_KEYS ?? '').split(',').includes(token);
  if (process.env.AUTH_MODE !== 'jwt') return true;
  const [header, payload, signature] = token.split('.');
  if (!signature) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const { keys } = await (await fetch(process.env.JWT_JWKS_URL)).json();
  const kid = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid;
  const jwk = keys.find((key) => key.kid === kid);
  if (!jwk) return false;
  const valid = verifySignature(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(signature, 'base64url'),
  );
  if (!valid || claims.iss !== process.env.JWT_ISSUER) return false;
  return faults.has('ignore-audience') || claims.aud === process.env.JWT_AUDIENCE;
}

function reachable(url) {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function exportSpan(traceparent) {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || faults.has('no-spans')) return;
  const [, incomingTrace, incomingParent] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-/.exec(traceparent ?? '') ?? [];
  const continued = incomingTrace && !faults.has('new-trace');
  const span = {
    traceId: continued ? incomingTrace : randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: continued ? incomingParent : '',
    name: 'POST /mcp',
    kind: 2,
    startTimeUnixNano: String(Date.now() * 1e6),
    endTimeUnixNano: String(Date.now() * 1e6),
  };
  const body = {
    resourceSpans: [
      { resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'launched-server' }, spans: [span] }] },
    ],
  };
  await fetch(new URL('/v1/traces', endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => undefined);
}

// With GATEWAY_CONFIG, echo is forwarded to the first backend of that file, as a gateway would,
// through a small circuit breaker (GATEWAY_BREAKER_THRESHOLD, GATEWAY_BREAKER_COOLDOWN_MS).
const backendUrl = process.env.GATEWAY_CONFIG
  ? Object.values(JSON.parse(readFileSync(process.env.GATEWAY_CONFIG, 'utf8')).mcpServers)[0]?.url
  : undefined;
const breaker = { failures: 0, openedAt: 0 };
async function forward(text) {
  const threshold = Number(process.env.GATEWAY_BREAKER_THRESHOLD ?? 5);
  const cooldown = Number(process.env.GATEWAY_BREAKER_COOLDOWN_MS ?? 10_000);
  const open = breaker.failures >= threshold;
  if (!faults.has('no-breaker') && open && (faults.has('no-half-open') || Date.now() - breaker.openedAt < cooldown))
    throw new Error('circuit open');
  const response = await fetch(backendUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text } },
    }),
  }).catch(() => undefined);
  if (!response?.ok) {
    if (faults.has('exit-on-backend-failure')) {
      process.stderr.write('backend failed: exiting\n');
      process.exit(3);
    }
    breaker.failures++;
    breaker.openedAt = Date.now();
    throw new Error('backend failed');
  }
  breaker.failures = 0;
  return (await response.json()).result;
}

function mcpServer() {
  const server = new McpServer({ name: 'launched-server', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
    async ({ text }) => {
      if (faults.has('log-credentials')) log({ tool: 'echo', arguments: { text } }, 'tool call');
      if (backendUrl) return forward(text);
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool(
    'slow_count',
    {
      description: 'Counts slowly',
      inputSchema: { steps: z.number().int(), intervalMs: z.number().int() },
      annotations: { readOnlyHint: true },
    },
    async ({ steps, intervalMs }) => {
      for (let step = 0; step < steps; step++) await sleep(intervalMs);
      return { content: [{ type: 'text', text: `Counted to ${steps}` }] };
    },
  );
  return server;
}

let inflight = 0;
let draining = false;
const limiter = new Map();

const http = createServer(async (req, res) => {
  const requestId = randomUUID();
  const fields = faults.has('no-request-id') ? {} : { requestId };
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const url = new URL(req.url ?? '/', 'http://localhost');
  res.on('finish', () =>
    log(
      {
        ...fields,
        method: req.method,
        path: url.pathname,
        status: res.statusCode,
        ...(faults.has('log-credentials') ? { authorization: req.headers.authorization } : {}),
      },
      'request',
    ),
  );
  if (url.pathname === '/health') return res.writeHead(200).end('ok');
  if (url.pathname === '/ready') {
    const down =
      draining ||
      (process.env.REDIS_URL && !faults.has('ready-ignores-store') && !(await reachable(process.env.REDIS_URL)));
    return res.writeHead(down ? 503 : 200).end(down ? 'not ready' : 'ready');
  }
  if (url.pathname !== '/mcp') return res.writeHead(404).end();
  const origin = req.headers.origin;
  if (origin && origin !== `http://${req.headers.host}`) return res.writeHead(403).end();
  if (!(await authenticated(req)))
    return res
      .writeHead(401, {
        'www-authenticate': 'Bearer resource_metadata="http://localhost/.well-known/oauth-protected-resource"',
      })
      .end();
  const client = req.socket.remoteAddress;
  const used = (limiter.get(client) ?? 0) + 1;
  limiter.set(client, used);
  // 40 requests a second per address, or none with RATE_LIMIT_RPS=0 (as verify starts its own instances).
  if (process.env.RATE_LIMIT_RPS !== '0' && used > 40) return res.writeHead(429, { 'retry-after': '1' }).end();
  await exportSpan(req.headers.traceparent);
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    return res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
  }
  // Only calls count as in flight; a GET event stream would hold the drain open forever.
  if (req.method === 'POST') {
    inflight++;
    res.on('close', () => inflight--);
  }
  const server = mcpServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => void transport.close().then(() => server.close()));
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
});
setInterval(() => limiter.clear(), 1000).unref();

http.listen(Number(process.env.PORT), '127.0.0.1', () => log({ port: Number(process.env.PORT) }, 'listening'));

process.on('SIGTERM', async () => {
  if (faults.has('exit-on-sigterm')) process.exit(0);
  draining = true;
  http.close();
  while (inflight > 0) await sleep(20);
  http.closeAllConnections();
  log({}, 'stopped');
  process.exit(faults.has('exit-1') ? 1 : 0);
});
