import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server as McpServer } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { conclude, notApplicable, type CheckOutcome, type Finding, type LiveContext, type LocalInstance } from '../check.js';
import { toolInfo } from '../../core/tool-info.js';
import { sleep } from './http.js';
import { notStartedByVerify } from './logging.js';

/** The gateway's settings this probe drives (src/gateway/settings.ts of a generated gateway). */
const THRESHOLD = 3;
const COOLDOWN_MS = 1_500;
/** Calls made while the backend fails: enough to open the breaker and then some. */
const CALLS_WHILE_DOWN = 10;
/** The last calls while down must not each reach the backend. */
const TAIL = 4;

/**
 * For a generated gateway: starts a loopback MCP backend verify controls, a gateway instance
 * whose only backend it is, then makes the backend fail. The breaker must stop sending calls to
 * it (the last calls never reach it), and once the backend recovers and the cooldown passes,
 * a call must get through again (half-open, then closed).
 */
export async function probeCircuitBreaker(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Failing a backend on purpose');
  const project = ctx.project;
  if (project?.manifest.pattern !== 'gateway' || !(await project.exists('gateway.config.json'))) {
    return notApplicable('Live breaker probes drive a generated gateway (gateway.config.json, GATEWAY_BREAKER_*); this project is judged from its files only');
  }
  const backend = await startBackend();
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-breaker-'));
  const config = path.join(dir, 'gateway.config.json');
  await writeFile(config, JSON.stringify({ mcpServers: { probe: { url: `${backend.url}/mcp`, timeoutMs: 2_000 } } }));
  const failures: Finding[] = [];
  const remediation = 'Wrap every backend call in a circuit breaker (src/aggregate/breaker.ts): open after GATEWAY_BREAKER_THRESHOLD consecutive failures, fail fast while open, let one call through after GATEWAY_BREAKER_COOLDOWN_MS and close on success.';
  let instance: LocalInstance | undefined;
  try {
    instance = await local.launch({ GATEWAY_CONFIG: config, GATEWAY_BREAKER_THRESHOLD: String(THRESHOLD), GATEWAY_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS) });
    const client = new Client({ name: 'mcp-arch-verify', version: toolInfo().version });
    const transport = new StreamableHTTPClientTransport(new URL(`${instance.url}${project.manifest.start.mcpPath}`), { requestInit: { headers: { ...ctx.headers } } });
    try {
      await client.connect(transport, { timeout: 10_000 });
      const { tools } = await client.listTools({}, { timeout: 10_000 });
      const echo = tools.find((tool) => tool.name === 'echo' || tool.name.endsWith('__echo'));
      if (!echo) return { status: 'skip', summary: 'The gateway did not list the probe backend\'s echo tool, so no call could be routed to it', findings: [] };
      const call = async () => {
        try {
          const result = await client.callTool({ name: echo.name, arguments: { text: 'breaker' } }, undefined, { timeout: 10_000 });
          return result.isError !== true;
        } catch {
          return false;
        }
      };

      backend.down = true;
      const hitsPerCall: number[] = [];
      for (let index = 0; index < CALLS_WHILE_DOWN; index++) {
        const before = backend.hits;
        await call();
        hitsPerCall.push(backend.hits - before);
      }
      // A reconnect loop may touch the backend now and then; without a breaker every call does.
      const tailHits = hitsPerCall.slice(-TAIL).reduce((sum, hits) => sum + hits, 0);
      if (tailHits >= TAIL) {
        failures.push({ message: `With its backend failing, the gateway kept calling it: the last ${TAIL} of ${CALLS_WHILE_DOWN} calls reached the backend ${tailHits} time(s) (threshold ${THRESHOLD})`, remediation });
      }

      backend.down = false;
      await sleep(COOLDOWN_MS + 300);
      let recovered = false;
      for (let attempt = 0; attempt < 3 && !recovered; attempt++) {
        recovered = await call();
        if (!recovered) await sleep(COOLDOWN_MS / 2);
      }
      if (!recovered) failures.push({ message: `After the backend recovered and ${COOLDOWN_MS} ms passed, calls still failed: the breaker never half-opens`, remediation });
      const opened = hitsPerCall.findIndex((hits, index) => index > 0 && hits === 0);
      return conclude(`With a failing backend the breaker stopped calls to it after ${opened < 0 ? '?' : opened} call(s) and let calls through again once it recovered`, { failures });
    } finally {
      await client.close().catch(() => undefined);
    }
  } finally {
    await instance?.stop('SIGTERM', 10_000);
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface ProbeBackend {
  url: string;
  /** Requests that reached the backend (MCP or not). */
  hits: number;
  /** While true, every request gets 503 before any MCP handling. */
  down: boolean;
  close(): Promise<void>;
}

async function startBackend(): Promise<ProbeBackend> {
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
    const server = new McpServer({ name: 'mcp-arch-verify-backend', version: toolInfo().version }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: 'echo', description: 'Echoes the text', inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } }, required: ['text'] } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, (request) => ({ content: [{ type: 'text' as const, text: String(request.params.arguments?.text ?? '') }] }));
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
