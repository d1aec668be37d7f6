// The example backend over Streamable HTTP, for both protocol eras: 2026-07-28 requests are served
// statelessly by the SDK's handler, 2025 clients get sessions (so the backend can ask them for
// input mid-call). PORT (0 = any); prints "listening <port>". BACKEND_HOST is the address it binds
// (127.0.0.1 unless a container must be reached from others).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createMcpHandler, isInitializeRequest, isLegacyRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { createBackend } from './backend.mjs';

const name = process.env.BACKEND_NAME ?? 'http';
/** When set, requests must carry `Authorization: Bearer <BACKEND_TOKEN>`: the backend's own credential. */
const token = process.env.BACKEND_TOKEN;
const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

// 2026-07-28: a server per request; changes are announced on every listen stream.
const modern = createMcpHandler(() => createBackend(name, { changed: modern.notify }), { legacy: 'reject' });

// 2025: a server per session, found by its Mcp-Session-Id.
const sessions = new Map();
async function legacy(request, parsedBody) {
  const id = request.headers.get('mcp-session-id');
  if (id) {
    const transport = sessions.get(id);
    return transport ? transport.handleRequest(request, { parsedBody }) : json(404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
  }
  if (request.method !== 'POST' || !isInitializeRequest(parsedBody)) return json(400, { jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: Mcp-Session-Id required' }, id: null });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => sessions.set(sid, transport) });
  transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
  await createBackend(name).connect(transport);
  return transport.handleRequest(request, { parsedBody });
}

const listener = getRequestListener(async (request) => {
  const { pathname } = new URL(request.url);
  // Liveness for container healthchecks; unauthenticated, it says nothing about the sessions.
  if (pathname === '/health') return new Response('ok\n', { headers: { 'content-type': 'text/plain' } });
  if (pathname !== '/mcp') return new Response(null, { status: 404 });
  if (token && request.headers.get('authorization') !== `Bearer ${token}`) return json(401, { error: 'unauthorized' });
  if (request.method !== 'POST') return request.headers.has('mcp-session-id') ? legacy(request) : modern.fetch(request);
  const parsedBody = await request
    .clone()
    .json()
    .catch(() => undefined);
  return (await isLegacyRequest(request, parsedBody)) ? legacy(request, parsedBody) : modern.fetch(request, { parsedBody });
});

const http = createServer(listener);
http.listen(Number(process.env.PORT ?? 0), process.env.BACKEND_HOST || '127.0.0.1', () => process.stdout.write(`listening ${http.address().port}\n`));
const stop = () => http.close(() => process.exit(0)) && http.closeAllConnections();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
