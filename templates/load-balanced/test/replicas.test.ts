import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { openSharedRateLimitStore } from '../src/rate-limit/shared.js';
import { openSessionStore } from '../src/store/index.js';
import { API_KEY, INITIALIZE, mcpPost, OTHER_API_KEY, readMessages, startServer, type TestServer } from './helpers.js';

/**
 * Three replicas of this server in one process, sharing one session store, as a load balancer
 * would see them: a request may land on any of them. Redis cases run when REDIS_URL is set and
 * say so in their names otherwise; the SQLite file store needs no service.
 */
const REDIS_URL = process.env.REDIS_URL;
const POSTGRES_URL = process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : undefined;
const work = mkdtempSync(join(tmpdir(), 'replicas-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const owner = { authorization: `Bearer ${API_KEY}` };
const intruder = { authorization: `Bearer ${OTHER_API_KEY}` };
const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

const PREFIX = `test:${randomUUID()}:`;
afterAll(() => deleteRedisKeys(PREFIX));

const STORES: Array<{ name: string; env: () => Record<string, string>; skip: boolean }> = [
  { name: 'database (one SQLite file)', env: () => ({ SESSION_STORE: 'database', DATABASE_URL: `file:${join(work, `sessions-${randomUUID()}.db`)}` }), skip: false },
  {
    name: `redis${REDIS_URL ? '' : ' (skipped: REDIS_URL not set)'}`,
    env: () => ({ SESSION_STORE: 'redis', REDIS_URL: REDIS_URL ?? '', REDIS_KEY_PREFIX: `${PREFIX}sessions:` }),
    skip: !REDIS_URL,
  },
];

/** Removes what a test wrote to Redis under its prefix (sessions expire, their indexes would not). */
async function deleteRedisKeys(prefix: string): Promise<void> {
  if (!REDIS_URL) return;
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

async function startReplicas(env: Record<string, string>, count = 3): Promise<TestServer[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      startServer({ AUTH_MODE: 'apikey', API_KEYS: `${API_KEY},${OTHER_API_KEY}`, SESSION_MODE: 'stateful', RATE_LIMIT_RPS: '1000', ...env }),
    ),
  );
}

/** An SDK client whose every HTTP request goes to whichever replica `target()` names, like a load balancer's. */
async function balancedClient(target: () => TestServer): Promise<Client> {
  const client = new Client({ name: 'balanced-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('http://balancer.invalid/mcp'), {
    requestInit: { headers: owner },
    fetch: (_url, init) => fetch(target().mcpUrl, init),
    // A GET stream that ended with its replica is not needed for these calls.
    reconnectionOptions: { maxReconnectionDelay: 1000, initialReconnectionDelay: 200, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
  });
  await client.connect(transport);
  return client;
}

async function openSession(server: TestServer, headers: Record<string, string>): Promise<string> {
  const response = await mcpPost(server.mcpUrl, INITIALIZE, headers);
  expect(response.status).toBe(200);
  await response.text();
  const sessionId = response.headers.get('mcp-session-id')!;
  const initialized = await mcpPost(server.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...headers, 'mcp-session-id': sessionId });
  expect(initialized.status).toBe(202);
  return sessionId;
}

const listTools = (server: TestServer, sessionId: string, headers = owner) =>
  mcpPost(server.mcpUrl, LIST_TOOLS, { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': INITIALIZE.params.protocolVersion });

for (const store of STORES) {
  describe.skipIf(store.skip)(`three stateful replicas sharing the ${store.name} store`, () => {
    let replicas: TestServer[] = [];
    let env: Record<string, string> = {};
    const stopped = new Set<TestServer>();

    beforeAll(async () => {
      env = store.env();
      replicas = await startReplicas(env);
    });
    afterAll(async () => {
      await Promise.all(replicas.filter((replica) => !stopped.has(replica)).map((replica) => replica.close()));
    });

    it('continues every session on the other replicas when the one that created it is gone', async () => {
      const [first, second, third] = replicas as [TestServer, TestServer, TestServer];
      let target = first;
      const clients = await Promise.all(Array.from({ length: 5 }, () => balancedClient(() => target)));
      try {
        // Every session was created on the first replica; the others have never seen them.
        target = second;
        for (const client of clients) {
          const result = await client.callTool({ name: 'echo', arguments: { text: 'on the second' } });
          expect(result.content).toEqual([{ type: 'text', text: 'on the second' }]);
        }

        await first.close();
        stopped.add(first);

        let served = 0;
        for (const [index, client] of clients.entries()) {
          target = index % 2 === 0 ? second : third;
          const progress: number[] = [];
          // Progress notifications stream over a rebuilt session as over the original one.
          const result = await client.callTool({ name: 'slow_count', arguments: { steps: 3, intervalMs: 5 } }, undefined, {
            onprogress: (update) => progress.push(update.progress),
          });
          expect(result.content).toEqual([{ type: 'text', text: 'Counted to 3' }]);
          expect(progress).toEqual([1, 2, 3]);
          served += 1;
        }
        // Counted, not assumed: none of the sessions was lost with their replica.
        expect(served).toBe(clients.length);
      } finally {
        await Promise.all(clients.map((client) => client.close().catch(() => {})));
      }
    });

    it("refuses a session id replayed by another identity on every replica, as if it did not exist", async () => {
      const [, second, third] = replicas as [TestServer, TestServer, TestServer];
      const sessionId = await openSession(second, owner);
      for (const replica of [second, third]) {
        const stolen = await listTools(replica, sessionId, intruder);
        expect(stolen.status).toBe(404);
        expect(await stolen.json()).toMatchObject({ error: { message: 'Session not found' } });
      }
      const own = await listTools(third, sessionId);
      expect(own.status).toBe(200);
      expect((await readMessages(own))[0]).toHaveProperty('result.tools');
    });

    it('answers 404 for a record it cannot rebuild, so the client starts a new session', async () => {
      const [, second, third] = replicas as [TestServer, TestServer, TestServer];
      const good = await openSession(second, owner);
      const shared = await openSessionStore(loadConfig({ AUTH_MODE: 'none', ...env }));
      try {
        const { userId } = (await shared.get(good))!;
        const broken = randomUUID();
        await shared.create({ sessionId: broken, userId, initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } });
        expect((await listTools(third, broken)).status).toBe(404);
        // A sound record of the same user still continues there.
        expect((await listTools(third, good)).status).toBe(200);
      } finally {
        await shared.close();
      }
    });

    it('ends a session on every replica with one DELETE', async () => {
      const [, second, third] = replicas as [TestServer, TestServer, TestServer];
      const sessionId = await openSession(second, owner);
      // Both replicas now hold a live copy.
      expect((await listTools(third, sessionId)).status).toBe(200);

      const deleted = await fetch(third.mcpUrl, { method: 'DELETE', headers: { ...owner, 'mcp-session-id': sessionId } });
      expect(deleted.status).toBe(200);
      for (const replica of [second, third]) expect((await listTools(replica, sessionId)).status).toBe(404);
    });
  });
}

const LIMIT_TABLE = `limits_${process.pid}_${Date.now().toString(36)}`;
afterAll(() => dropPostgresTable(LIMIT_TABLE));

/** Removes the Postgres table a test wrote its buckets to. */
async function dropPostgresTable(table: string): Promise<void> {
  if (!POSTGRES_URL) return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  try {
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await client.end();
  }
}

const LIMIT_STORES: Array<{ name: string; env: () => Record<string, string>; skip: boolean }> = [
  {
    name: `Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL not set)'}`,
    env: () => ({ SESSION_STORE: 'redis', REDIS_URL: REDIS_URL ?? '', REDIS_KEY_PREFIX: `${PREFIX}limits:` }),
    skip: !REDIS_URL,
  },
  {
    name: 'the session database (one SQLite file)',
    env: () => ({ SESSION_STORE: 'database', DATABASE_URL: `file:${join(work, `limits-${randomUUID()}.db`)}` }),
    skip: false,
  },
  // Only with DATABASE_URL=postgres://...: the SQLite case above covers the database buckets without
  // a service, and test/rate-limit-database.test.ts says which Postgres cases it skipped.
  ...(POSTGRES_URL
    ? [
        {
          name: 'the session database (Postgres)',
          // Each replica's DATABASE_URL names the same database; a REDIS_URL beside it is not used for limits.
          env: () => ({ SESSION_STORE: 'database', DATABASE_URL: POSTGRES_URL, SESSION_TABLE: `${LIMIT_TABLE}_sessions`, RATE_LIMIT_TABLE: LIMIT_TABLE, REDIS_URL: 'redis://127.0.0.1:1' }),
          skip: false,
        },
      ]
    : []),
];
afterAll(() => dropPostgresTable(`${LIMIT_TABLE}_sessions`));

for (const limits of LIMIT_STORES) {
  describe.skipIf(limits.skip)(`rate limits shared by three replicas through ${limits.name}`, () => {
    let replicas: TestServer[] = [];
    const RATE = 2;
    const BURST = 6;

    beforeAll(async () => {
      replicas = await startReplicas({ SESSION_MODE: 'stateless', ...limits.env(), RATE_LIMIT_RPS: String(RATE), RATE_LIMIT_BURST: String(BURST) });
    });
    afterAll(async () => {
      await Promise.all(replicas.map((replica) => replica.close()));
    });

    it('allows about one limit in total, not one per replica', async () => {
      const started = performance.now();
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 30; i += 1) {
        const response = await mcpPost(replicas[i % replicas.length]!.mcpUrl, { ...LIST_TOOLS, id: i }, owner);
        statuses.push(response.status);
        if (response.status === 429) retryAfter ??= response.headers.get('retry-after');
        await response.text();
      }
      const seconds = (performance.now() - started) / 1000;
      const allowed = statuses.filter((status) => status === 200).length;
      // Per-replica buckets would allow 3 x BURST = 18 at once; shared, one bucket refills at RATE.
      expect(allowed).toBeGreaterThanOrEqual(BURST);
      expect(allowed).toBeLessThanOrEqual(BURST + Math.ceil(RATE * seconds) + 1);
      expect(statuses.filter((status) => status === 429).length).toBe(30 - allowed);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    });
  });
}

describe('choice of the rate limit store', () => {
  const logger = createLogger('silent');

  it('keeps per-instance buckets without REDIS_URL, or when the project is not replicated', async () => {
    expect(await openSharedRateLimitStore(loadConfig({ AUTH_MODE: 'none' }), { logger })).toBeUndefined();
    expect(await openSharedRateLimitStore(loadConfig({ AUTH_MODE: 'none', REDIS_URL: 'redis://127.0.0.1:6379' }), { logger, replicated: false })).toBeUndefined();
  });

  it('shares limits through the session database on SESSION_STORE=database, even with REDIS_URL set', async () => {
    const env = {
      AUTH_MODE: 'none',
      SESSION_STORE: 'database',
      DATABASE_URL: `file:${join(work, `choice-${randomUUID()}.db`)}`,
      // Nothing listens there: limits sent to Redis would fall back to one bucket per instance.
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_RPS: '1',
      RATE_LIMIT_BURST: '2',
    };
    const first = await openSharedRateLimitStore(loadConfig(env), { logger, replicated: true });
    const second = await openSharedRateLimitStore(loadConfig(env), { logger, replicated: true });
    try {
      const decisions = [await first!.take('client'), await second!.take('client'), await first!.take('client'), await second!.take('client')];
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false, false]);
    } finally {
      await Promise.all([first?.close(), second?.close()]);
    }
    expect(await openSharedRateLimitStore(loadConfig(env), { logger, replicated: false })).toBeUndefined();
    expect(await openSharedRateLimitStore(loadConfig({ ...env, RATE_LIMIT_RPS: '0' }), { logger, replicated: true })).toBeUndefined();
  });

  it('limits per instance, without failing requests, while Redis is unreachable', async () => {
    // A port nothing listens on: every Redis command fails at once.
    const store = await openSharedRateLimitStore(loadConfig({ AUTH_MODE: 'none', REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '2' }), { logger, replicated: true });
    expect(store).toBeDefined();
    try {
      const decisions = [await store!.take('client'), await store!.take('client'), await store!.take('client')];
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
    } finally {
      await store!.close();
    }
  });
});
