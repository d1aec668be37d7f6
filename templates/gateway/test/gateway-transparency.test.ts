import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, INITIALIZE, mcpPost, OTHER_API_KEY, PROJECT_STORE, waitFor, type TestServer } from './helpers.js';
import { connect, startGateway, startHttpBackend, type HttpBackend } from './gateway-helpers.js';

/** Everything a client can observe of one call: result or error, progress and log lines. */
async function observe(client: Client, logs: unknown[], name: string, args: Record<string, unknown>) {
  logs.length = 0;
  const progress: unknown[] = [];
  const outcome = await client.callTool({ name, arguments: args }, undefined, { onprogress: (p) => progress.push(p) }).then(
    (result) => ({ result }),
    (error: Error & { code?: number }) => ({ error: { code: error.code, message: error.message } }),
  );
  // A later call's log line: the backend sends its lines in order, so every line of the observed call came before it.
  const isMarker = (entry: unknown) => (entry as { data?: unknown }).data === 'step 1 of 1';
  await client.callTool({ name: 'slow', arguments: { steps: 1, ms: 1 } });
  await waitFor(() => logs.some(isMarker));
  return { outcome, progress, logs: logs.slice(0, logs.findIndex(isMarker)) };
}

async function everyTool(client: Client) {
  const tools = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

describe('one backend with an empty prefix: the gateway is transparent', () => {
  let backend: HttpBackend;
  let gateway: TestServer;
  const clients: Client[] = [];
  const logsDirect: unknown[] = [];
  const logsGateway: unknown[] = [];
  let direct: Client;
  let through: Client;

  beforeAll(async () => {
    backend = await startHttpBackend({ name: 'solo' });
    gateway = await startGateway({ solo: { url: backend.url, prefix: '' } });
    direct = await connect(backend.url, { setup: (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logsDirect.push(n.params)) });
    through = await connect(gateway.mcpUrl, { setup: (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logsGateway.push(n.params)) });
    clients.push(direct, through);
    await direct.setLoggingLevel('info');
    await through.setLoggingLevel('info');
  });
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await gateway?.close();
    await backend?.kill();
  });

  it('presents the same server: info, capabilities, instructions', () => {
    expect(through.getServerVersion()).toEqual(direct.getServerVersion());
    expect(through.getServerCapabilities()).toEqual(direct.getServerCapabilities());
    expect(through.getInstructions()).toEqual(direct.getInstructions());
  });

  it('lists the same tools, resources, templates and prompts', async () => {
    expect(await everyTool(through)).toEqual(await everyTool(direct));
    expect((await through.listResources()).resources).toEqual((await direct.listResources()).resources);
    expect((await through.listResourceTemplates()).resourceTemplates).toEqual((await direct.listResourceTemplates()).resourceTemplates);
    expect((await through.listPrompts()).prompts).toEqual((await direct.listPrompts()).prompts);
  });

  it.each([
    ['echo', { text: 'same' }],
    ['add', { a: 20, b: 22 }],
    ['fail', {}],
    ['slow', { steps: 3, ms: 5 }],
    ['echo', { text: 42 }],
    ['no_such_tool', {}],
  ])('gives the same results, errors and notifications for %s %j', async (name, args) => {
    const viaGateway = await observe(through, logsGateway, name, args);
    const viaBackend = await observe(direct, logsDirect, name, args);
    expect(viaGateway).toEqual(viaBackend);
  });

  it('reads, gets prompts and completes the same', async () => {
    const uri = 'mem://solo/notes/3';
    expect(await through.readResource({ uri })).toEqual(await direct.readResource({ uri }));
    expect(await through.getPrompt({ name: 'greet', arguments: { who: 'Bo' } })).toEqual(await direct.getPrompt({ name: 'greet', arguments: { who: 'Bo' } }));
    const ref = { type: 'ref/prompt' as const, name: 'greet' };
    expect(await through.complete({ ref, argument: { name: 'who', value: 'a' } })).toEqual(await direct.complete({ ref, argument: { name: 'who', value: 'a' } }));
    const missing = async (client: Client) => client.readResource({ uri: 'mem://solo/nothing' }).catch((error: Error) => error.message);
    expect(await missing(through)).toEqual(await missing(direct));
  });
});

describe('rate limiting per client identity', () => {
  let backend: HttpBackend;
  beforeAll(async () => {
    backend = await startHttpBackend({ name: 'limited' });
  });
  afterAll(async () => {
    await backend?.kill();
  });

  const burst = async (url: string, key: string, count: number) => {
    const statuses: Array<{ status: number; retryAfter: string | null }> = [];
    for (let i = 0; i < count; i++) {
      const response = await mcpPost(url, INITIALIZE, { authorization: `Bearer ${key}` });
      await response.body?.cancel();
      statuses.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
    }
    return statuses;
  };

  it('answers 429 with Retry-After once a client exceeds its rate, without limiting other clients', async () => {
    const gateway = await startGateway({ limited: { url: backend.url } }, { AUTH_MODE: 'apikey', API_KEYS: `${API_KEY},${OTHER_API_KEY}`, RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' });
    try {
      const first = await burst(gateway.mcpUrl, API_KEY, 5);
      expect(first.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(first[4]).toMatchObject({ status: 429 });
      expect(Number(first[4]!.retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await burst(gateway.mcpUrl, OTHER_API_KEY, 1))[0]!.status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  // Only a gateway generated with the Redis store holds the shared limiter: on the memory store it runs as one.
  it.skipIf(PROJECT_STORE !== 'redis' || !process.env.REDIS_URL)('shares the limit between gateway replicas through Redis (a Redis-store project, when REDIS_URL is set)', async () => {
    const env = { AUTH_MODE: 'apikey', API_KEYS: API_KEY, RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '4', REDIS_URL: process.env.REDIS_URL!, REDIS_KEY_PREFIX: `gateway-test-${Date.now()}:` };
    const [one, two] = [await startGateway({ limited: { url: backend.url } }, env), await startGateway({ limited: { url: backend.url } }, env)];
    try {
      const statuses = [...(await burst(one.mcpUrl, API_KEY, 3)), ...(await burst(two.mcpUrl, API_KEY, 3))].map((r) => r.status);
      // Four tokens in all, whichever replica is asked: per-replica buckets would allow all six.
      expect(statuses.filter((status) => status === 200)).toHaveLength(4);
      expect(statuses.filter((status) => status === 429)).toHaveLength(2);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
