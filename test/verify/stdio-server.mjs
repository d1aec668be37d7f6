// A small MCP server that `verify --live` starts as a gateway project's `start.run`: 2025-era
// sessions (Mcp-Session-Id), each with its own stdio backend process (a child that echoes the
// lines written to its stdin) started by its first `local__echo` call. A session unused for
// SESSION_IDLE_TIMEOUT_MS is closed with its process, as a gateway should; with FAULTS=leak it
// never is, so every dropped session keeps its process.
// PID_FILE, when set, gets this process id appended, so tests can prove it was stopped.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const leak = (process.env.FAULTS ?? '').split(',').includes('leak');
const idleTimeoutMs = Number(process.env.SESSION_IDLE_TIMEOUT_MS ?? 1_800_000);
if (process.env.PID_FILE) appendFileSync(process.env.PID_FILE, `${process.pid}\n`);

/** Session id -> { transport, backend, lastSeen }. */
const sessions = new Map();

/** The session's stdio backend: started on first use, restarted when it died. */
function backendOf(session) {
  if (!session.backend || session.backend.exitCode !== null || session.backend.signalCode !== null) {
    session.backend = spawn(process.execPath, ['-e', 'process.stdin.pipe(process.stdout)'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    session.backend.on('error', () => {});
  }
  return session.backend;
}

function echoThrough(backend, text) {
  return new Promise((resolve, reject) => {
    backend.stdout.once('data', (chunk) => resolve(chunk.toString('utf8').trim()));
    backend.once('exit', () => reject(new Error('the backend exited')));
    backend.stdin.write(`${text}\n`);
  });
}

function mcpServer(session) {
  const server = new McpServer({ name: 'stdio-fixture', version: '1.0.0' });
  server.registerTool(
    'local__echo',
    {
      description: 'Echoes through the stdio backend',
      inputSchema: { text: z.string() },
      annotations: { readOnlyHint: true },
    },
    async ({ text }) => ({ content: [{ type: 'text', text: await echoThrough(backendOf(session), text) }] }),
  );
  return server;
}

async function close(id) {
  const session = sessions.get(id);
  if (!session) return;
  sessions.delete(id);
  session.backend?.kill('SIGTERM');
  await session.transport.close().catch(() => {});
}

setInterval(() => {
  if (leak) return;
  for (const [id, session] of sessions) if (Date.now() - session.lastSeen > idleTimeoutMs) void close(id);
}, 250).unref();

const http = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health' || url.pathname === '/ready') return res.writeHead(200).end('ok');
  if (url.pathname !== '/mcp') return res.writeHead(404).end();
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  const id = req.headers['mcp-session-id'];
  if (id) {
    const session = sessions.get(id);
    if (!session) return res.writeHead(404).end();
    session.lastSeen = Date.now();
    if (req.method === 'DELETE') {
      await close(id);
      return res.writeHead(200).end();
    }
    return session.transport.handleRequest(req, res, body);
  }
  const session = { lastSeen: Date.now(), backend: undefined, transport: undefined };
  session.transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: true,
    onsessioninitialized: (sessionId) => sessions.set(sessionId, session),
  });
  await mcpServer(session).connect(session.transport);
  await session.transport.handleRequest(req, res, body);
});

http.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  for (const id of sessions.keys()) void close(id);
  http.close();
  http.closeAllConnections();
  process.exit(0);
});
