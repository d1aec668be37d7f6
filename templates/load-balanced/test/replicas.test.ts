import { randomUUID } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { openSharedState } from '../src/state/open.js';
import { API_KEY, INITIALIZE, mcpPost, OTHER_API_KEY, readMessages, startServer, type TestServer } from './helpers.js';
import { LIMITS_IN, STORE, storeEnv as envOf, USES_REDIS, useStoreServices } from './store-env.js';
import { tempDir } from './own.js';

/**
 * Three replicas of this server in one process, sharing this project's session store, as a
 * load balancer would see them: a request may land on any of them. The store's services are
 * the real ones (test/services.ts); a SQLite file stands in for the database (its Postgres
 * cases are in the store's own suites).
 */
useStoreServices();
const work = tempDir('replicas');

const owner = { authorization: `Bearer ${API_KEY}` };
const intruder = { authorization: `Bearer ${OTHER_API_KEY}` };
const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

/** The variables that point this project's store at its services, with keys and files of the test's own. */
const storeEnv = (purpose: string) => envOf(purpose, work);

const STORES: Array<{ name: string; env: () => Record<string, string> }> = [{ name: STORE, env: () => storeEnv('sessions') }];

async function startReplicas(env: Record<string, string>, count = 3): Promise<TestServer[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      startServer({ AUTH_MODE: 'apikey', API_KEYS: `${API_KEY},${OTHER_API_KEY}`, SESSION_MODE: 'stateful', RATE_LIMIT_RPS: '1000', ...env }),
    ),
  );
}

/**
 * An SDK client whose every HTTP request goes to whichever replica `target()` names, like a load
 * balancer's. legacy: the 2025 handshake, served by the sessionful leg; modern: 2026-07-28, stateless.
 */
async function balancedClient(target: () => TestServer, era: 'legacy' | 'modern' = 'legacy'): Promise<Client> {
  const client = new Client({ name: 'balanced-client', version: '1.0.0' }, { versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } } });
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
  describe(`three stateful replicas sharing the ${store.name} store`, () => {
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
          const result = await client.callTool({ name: 'slow_count', arguments: { steps: 3, intervalMs: 5 } }, {
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

    it('serves a 2026-07-28 client from every replica in turn, without a session', async () => {
      const live = replicas.filter((replica) => !stopped.has(replica));
      let next = 0;
      const client = await balancedClient(() => live[next++ % live.length]!, 'modern');
      try {
        expect(client.getProtocolEra()).toBe('modern');
        for (let call = 0; call < live.length * 2; call += 1) {
          const result = await client.callTool({ name: 'add', arguments: { a: call, b: 1 } });
          expect(result.structuredContent).toEqual({ sum: call + 1 });
        }
        // Round-robin reached each replica, none of which holds anything for this client.
        expect(next).toBeGreaterThanOrEqual(live.length * 2);
      } finally {
        await client.close();
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
      const { sessionStore: shared } = await openSharedState(loadConfig({ AUTH_MODE: 'none', ...env }), { logger: createLogger('silent'), replicated: false });
      try {
        const { userId } = (await shared!.touch(good))!;
        const broken = randomUUID();
        await shared!.create({ sessionId: broken, userId, initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } });
        expect((await listTools(third, broken)).status).toBe(404);
        // A sound record of the same user still continues there.
        expect((await listTools(third, good)).status).toBe(200);
      } finally {
        await shared!.close();
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

const LIMIT_STORES: Array<{ name: string; env: () => Record<string, string> }> = [{ name: LIMITS_IN, env: () => storeEnv('limits') }];

for (const limits of LIMIT_STORES) {
  describe(`rate limits shared by three replicas through ${limits.name}`, () => {
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

describe('the rate limit store', () => {
  const logger = createLogger('silent');
  const limited = { AUTH_MODE: 'none', RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '2' };

  it(`is shared through ${LIMITS_IN} by replicas, and not opened for one instance or without limits`, async () => {
    const env = { ...limited, ...storeEnv('choice') };
    const first = await openSharedState(loadConfig(env), { logger, replicated: true });
    const second = await openSharedState(loadConfig(env), { logger, replicated: true });
    try {
      const take = (state: typeof first) => state.rateLimitStore!.take('client');
      const decisions = [await take(first), await take(second), await take(first), await take(second)];
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false, false]);
    } finally {
      await Promise.all([first, second].flatMap((state) => [state.rateLimitStore?.close(), state.sessionStore?.close()]));
    }
    for (const [options, replicated] of [[env, false], [{ ...env, RATE_LIMIT_RPS: '0' }, true]] as const) {
      const state = await openSharedState(loadConfig(options), { logger, replicated });
      expect(state.rateLimitStore).toBeUndefined();
      await state.sessionStore?.close();
    }
  });

  it.skipIf(!USES_REDIS)('limits per instance, without failing requests, while Redis is unreachable', async () => {
    // A port nothing listens on: every Redis command fails at once.
    const state = await openSharedState(loadConfig({ ...limited, ...storeEnv('down'), REDIS_URL: 'redis://127.0.0.1:1' }), { logger, replicated: true });
    try {
      const decisions = [await state.rateLimitStore!.take('client'), await state.rateLimitStore!.take('client'), await state.rateLimitStore!.take('client')];
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
    } finally {
      await Promise.all([state.rateLimitStore?.close(), state.sessionStore?.close()]);
    }
  });
});
