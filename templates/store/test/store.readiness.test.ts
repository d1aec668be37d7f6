import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectClient, startServer, waitFor, type TestServer } from './helpers.js';
import { closedPort, tcpProxy } from './tcp-proxy.js';

/** The configured store is opened at start and gates /ready; a store outage never stops the process. */
const DATABASE_URL = process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : undefined;
const work = mkdtempSync(join(tmpdir(), 'store-ready-'));
const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(work, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<TestServer> {
  const server = await startServer({ AUTH_MODE: 'none', LOG_LEVEL: 'silent', ...env });
  servers.push(server);
  return server;
}

const readyStatus = async (server: TestServer) => (await fetch(`${server.url}/ready`)).status;

describe('session store readiness', () => {
  it('SESSION_STORE=database with a SQLite file: ready', async () => {
    const server = await serve({ SESSION_STORE: 'database', DATABASE_URL: `file:${join(work, 'ready.db')}` });
    expect(await readyStatus(server)).toBe(200);
  });

  it('SESSION_STORE=database with Postgres unreachable: /ready 503, /health 200, MCP still served', async () => {
    const server = await serve({ SESSION_STORE: 'database', DATABASE_URL: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    expect(await readyStatus(server)).toBe(503);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const client = await connectClient(server.mcpUrl);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it('SESSION_STORE=redis with Redis unreachable: /ready 503', async () => {
    const server = await serve({ SESSION_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    expect(await readyStatus(server)).toBe(503);
  });

  it.skipIf(!DATABASE_URL)(
    `recovers when Postgres returns: 503 while it is away, 200 again after${DATABASE_URL ? '' : ' (skipped: DATABASE_URL=postgres://... not set)'}`,
    async () => {
      const proxy = await tcpProxy(DATABASE_URL!, 5432);
      const table = `sessions_ready_${process.pid}_${Date.now().toString(36)}`;
      try {
        const server = await serve({ SESSION_STORE: 'database', DATABASE_URL: proxy.url, SESSION_TABLE: table, RATE_LIMIT_TABLE: `${table}_limits` });
        expect(await readyStatus(server)).toBe(200);
        await proxy.cut();
        await waitFor(async () => (await readyStatus(server)) === 503, { timeoutMs: 10_000, intervalMs: 100 });
        await proxy.restore();
        await waitFor(async () => (await readyStatus(server)) === 200, { timeoutMs: 10_000, intervalMs: 100 });
      } finally {
        await proxy.close();
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_limits`).finally(() => client.end());
      }
    },
  );
});
