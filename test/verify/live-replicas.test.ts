import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer as ModernMcpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resilienceSessionSurvival } from '../../src/verify/checks/resilience-session-survival.js';
import { resilienceStdioLifecycle } from '../../src/verify/checks/resilience-stdio-lifecycle.js';
import { verify, type VerifyReport } from '../../src/verify/index.js';
import { startRoundRobin, UPSTREAM_HEADER } from '../../src/verify/runtime/proxy.js';
import { envWithNode, nodeBinDir } from '../e2e/node-runtime.js';
import { makeProject, type Project } from './fixture.js';

const STDIO_SERVER = path.join(import.meta.dirname, 'stdio-server.mjs');

const result = (report: VerifyReport, id: string) => {
  const found = report.results.find((entry) => entry.id === id);
  if (!found) throw new Error(`no result for ${id}`);
  return found;
};
const messages = (report: VerifyReport, id: string) =>
  result(report, id)
    .findings.map((finding) => finding.message)
    .join('\n');

interface Session {
  transport: StreamableHTTPServerTransport;
}

/**
 * Replicas of one MCP server, each on its own loopback port: 2026-07-28 through the v2 SDK's
 * handler (stateless, `subscriptions/listen` acknowledged), 2025 sessions through the v1 SDK.
 * `shared` gives every replica the same session table (what a shared store gives real replicas);
 * without it each replica knows only the sessions it created.
 */
async function replicaSet(count: number, shared: boolean): Promise<{ urls: string[]; close(): Promise<void> }> {
  const sharedTable = new Map<string, Session>();
  const servers: Server[] = [];
  const urls: string[] = [];
  for (let index = 0; index < count; index++) {
    const table = shared ? sharedTable : new Map<string, Session>();
    const modern = toNodeHandler(
      createMcpHandler(
        () => {
          const server = new ModernMcpServer({ name: 'replica-fixture', version: '1.0.0' });
          server.registerTool(
            'echo',
            { description: 'Echoes', inputSchema: z.object({ text: z.string() }) },
            ({ text }) => ({
              content: [{ type: 'text', text }],
            }),
          );
          return server;
        },
        { legacy: 'reject' },
      ),
    );
    const legacy = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const session = table.get(id);
        if (!session) return void res.writeHead(404).end();
        if (req.method === 'DELETE') {
          table.delete(id);
          await session.transport.close();
          return void res.writeHead(200).end();
        }
        return session.transport.handleRequest(req, res, body);
      }
      const server = new McpServer({ name: 'replica-fixture', version: '1.0.0' });
      server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, ({ text }) => ({
        content: [{ type: 'text', text }],
      }));
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (sessionId) => void table.set(sessionId, { transport }),
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    };
    const server = createServer((req, res) => {
      const handle = req.headers['mcp-protocol-version'] === '2026-07-28' ? modern : legacy;
      Promise.resolve(handle(req, res)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return {
    urls,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

describe('verify --url with --replica: one session across the replicas of a deployment', () => {
  it('passes replicas that share their sessions, and fails replicas that keep them to themselves', async () => {
    for (const shared of [true, false]) {
      const replicas = await replicaSet(3, shared);
      const balancer = await startRoundRobin(replicas.urls);
      try {
        const report = await verify({
          dir: tmpdir(),
          url: balancer.url,
          replicas: replicas.urls,
          checks: [resilienceSessionSurvival],
        });
        const survival = result(report, 'resilience.session-survival');
        if (shared) {
          expect(survival.status, survival.summary).toBe('pass');
          expect(survival.summary).toBe(
            `Across 3 replicas: one 2025 session answered on 3 of 3 replicas; DELETE on ${replicas.urls[1]} ended it on 2 of 2 others; subscriptions/listen acknowledged on 3 of 3 replicas`,
          );
        } else {
          expect(survival.status).toBe('fail');
          expect(survival.summary).toMatch(/one 2025 session answered on 1 of 3 replicas/);
          expect(messages(report, 'resilience.session-survival')).toContain(
            `The 2025 session opened on ${replicas.urls[0]} got 404 from ${replicas.urls[1]}: that replica does not know the session`,
          );
        }
      } finally {
        await balancer.close();
        await replicas.close();
      }
    }
  });

  it('skips with one replica: nothing could move between replicas', async () => {
    const replicas = await replicaSet(1, true);
    try {
      const report = await verify({
        dir: tmpdir(),
        url: replicas.urls[0],
        replicas: replicas.urls,
        checks: [resilienceSessionSurvival],
      });
      expect(result(report, 'resilience.session-survival')).toMatchObject({
        status: 'skip',
        summary: expect.stringContaining('pass --replica for at least two'),
      });
    } finally {
      await replicas.close();
    }
  });
});

describe('the round-robin proxy', () => {
  it('sends requests to each replica in turn, names the one that answered, and passes a dead one by', async () => {
    const replicas = await replicaSet(2, true);
    const balancer = await startRoundRobin(replicas.urls);
    try {
      const seen: (string | null)[] = [];
      for (let index = 0; index < 4; index++) {
        const response = await fetch(`${balancer.url}/health`);
        await response.text();
        seen.push(response.headers.get(UPSTREAM_HEADER));
      }
      expect(seen).toEqual([replicas.urls[0], replicas.urls[1], replicas.urls[0], replicas.urls[1]]);
      await replicas.close();
      const refused = await fetch(`${balancer.url}/health`);
      expect(refused.status).toBe(502);
      expect(await refused.text()).toMatch(/no replica answered: ECONNREFUSED/);
    } finally {
      await balancer.close();
      await replicas.close();
    }
  });
});

describe('verify --live counts the stdio backend processes a server leaves behind', () => {
  let env: NodeJS.ProcessEnv;
  let scratch: string;
  const projects: Project[] = [];
  beforeAll(async () => {
    env = envWithNode(await nodeBinDir(24));
    scratch = await mkdtemp(path.join(tmpdir(), 'mcp-arch-stdio-'));
  }, 300_000);
  afterAll(async () => {
    await Promise.all(projects.map((project) => project.cleanup()));
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    [
      'reaps',
      [],
      'pass',
      /live: \d+ child processes at rest, \d+ with 3 2025-11-25 sessions calling local__echo; dropped without DELETE, backend process \d+ killed: back to \d+ within 6 s \(SESSION_IDLE_TIMEOUT_MS=2000\)/,
    ],
    [
      'leaks',
      ['leak'],
      'fail',
      /[12] processes started for dropped sessions still ran 6 s after they were dropped \(SESSION_IDLE_TIMEOUT_MS=2000\): \d+ child processes at rest, \d+ with 3 2025-11-25 sessions calling local__echo/,
    ],
  ] as const)(
    'a server that %s its children',
    async (_, faults, status, summary) => {
      const project = await makeProject({
        pattern: 'gateway',
        manifest: { start: { run: `node ${STDIO_SERVER}`, build: undefined } },
      });
      projects.push(project);
      // Capped, so the static part has nothing to warn about and the live part decides.
      await project.edit('gateway.config.json', (text) =>
        text.replace('"command"', '"maxSessions": 8,\n      "command"'),
      );
      const pidFile = path.join(scratch, `${faults.join('-') || 'none'}.pids`);
      const report = await verify({
        dir: project.dir,
        live: true,
        checks: [resilienceStdioLifecycle],
        env: { ...env, FAULTS: faults.join(','), PID_FILE: pidFile },
      });
      const lifecycle = result(report, 'resilience.stdio-lifecycle');
      expect(lifecycle.status, lifecycle.summary).toBe(status);
      expect(lifecycle.summary).toMatch(summary);
      // Every server verify started is gone, and with it (its process group) every backend it leaked.
      const pids = (await readFile(pidFile, 'utf8')).split('\n').filter(Boolean).map(Number);
      expect(pids.length).toBe(2);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    },
    60_000,
  );
});
