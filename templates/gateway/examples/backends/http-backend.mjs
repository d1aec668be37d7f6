// The example backend over Streamable HTTP, with sessions: PORT (0 = any), prints "listening <port>".
// BACKEND_HOST is the address it binds (127.0.0.1 unless a container must be reached from others).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createBackend } from './backend.mjs';

const name = process.env.BACKEND_NAME ?? 'http';
/** When set, requests must carry `Authorization: Bearer <BACKEND_TOKEN>`: the backend's own credential. */
const token = process.env.BACKEND_TOKEN;
const transports = new Map();

const http = createServer(async (req, res) => {
  // Liveness for container healthchecks; unauthenticated, it says nothing about the sessions.
  if (req.url === '/health') return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  if (!req.url?.startsWith('/mcp')) return res.writeHead(404).end();
  if (token && req.headers.authorization !== `Bearer ${token}`) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
  const id = req.headers['mcp-session-id'];
  let transport = typeof id === 'string' ? transports.get(id) : undefined;
  if (typeof id === 'string' && !transport) {
    return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
  }
  if (!transport) {
    transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => transports.set(sid, transport) });
    transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
    await createBackend(name).connect(transport);
  }
  await transport.handleRequest(req, res);
});
http.listen(Number(process.env.PORT ?? 0), process.env.BACKEND_HOST || '127.0.0.1', () => process.stdout.write(`listening ${http.address().port}\n`));
const stop = () => http.close(() => process.exit(0)) && http.closeAllConnections();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
