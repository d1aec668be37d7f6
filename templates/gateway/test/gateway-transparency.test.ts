import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, INITIALIZE, mcpPost, modernRequest, OTHER_API_KEY, PROJECT_STORE, readMessages, startServer, waitFor, type TestServer } from './helpers.js';
import { connect, startGateway, startHttpBackend, type HttpBackend } from './gateway-helpers.js';

/** Everything a client can observe of one call: result or error, progress and log lines. */
async function observe(client: Client, logs: unknown[], name: string, args: Record<string, unknown>) {
  logs.length = 0;
  const progress: unknown[] = [];
  const outcome = await client.callTool({ name, arguments: args }, { onprogress: (p) => progress.push(p) }).then(
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
    direct = await connect(backend.url, { setup: (c) => c.setNotificationHandler('notifications/message', (n) => void logsDirect.push(n.params)) });
    through = await connect(gateway.mcpUrl, { setup: (c) => c.setNotificationHandler('notifications/message', (n) => void logsGateway.push(n.params)) });
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

describe('one backend with an empty prefix: transparent to 2026-07-28 clients too', () => {
  let backend: HttpBackend;
  let gateway: TestServer;
  const clients: Client[] = [];
  const open = async (url: string) => {
    const client = await connect(url, {
      era: 'modern',
      capabilities: { elicitation: { form: {} } },
      setup: (c) => c.setRequestHandler('elicitation/create', (request) => ({ action: 'accept', content: { answer: `yes to ${request.params.message}` } })),
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    backend = await startHttpBackend({ name: 'solo' });
    gateway = await startGateway({ solo: { url: backend.url, prefix: '' } });
  });
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await gateway?.close();
    await backend?.kill();
  });

  it('lists the same tools and gives the same results, errors and input_required rounds', async () => {
    const [direct, through] = [await open(backend.url), await open(gateway.mcpUrl)];
    expect(through.getProtocolEra()).toBe('modern');
    expect(await everyTool(through)).toEqual(await everyTool(direct));
    const outcome = (client: Client, name: string, args: Record<string, unknown>) =>
      client.callTool({ name, arguments: args }).then(
        (result) => ({ result }),
        (error: Error & { code?: number }) => ({ error: { code: error.code, message: error.message } }),
      );
    for (const [name, args] of [['echo', { text: 'same' }], ['add', { a: 1, b: 2 }], ['fail', {}], ['echo', { text: 42 }], ['no_such_tool', {}], ['ask', { message: 'ok?' }]] as const) {
      expect(await outcome(through, name, args)).toEqual(await outcome(direct, name, args));
    }
  });
});

describe('log lines of concurrent 2026-07-28 requests over one backend connection', () => {
  let gateway: TestServer;
  beforeAll(async () => {
    // The example tools over stdio (GATEWAY_CONFIG of this suite): one connection serves every client.
    gateway = await startServer({ AUTH_MODE: 'none', RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('sends a log line of the backend only on the stream of the request it belongs to', async () => {
    const count = async (id: number, steps: number, intervalMs: number) => {
      const request = modernRequest('tools/call', { name: 'slow_count', arguments: { steps, intervalMs } }, id, 'slow_count');
      request.body.params._meta['io.modelcontextprotocol/logLevel'] = 'debug';
      const messages = await readMessages(await mcpPost(gateway.mcpUrl, request.body, request.headers));
      return { result: messages.find((message) => message.id === id)?.result, lines: messages.filter((message) => message.method === 'notifications/message').map((message) => (message.params as { data: unknown }).data) };
    };
    // Their lines interleave: the long call logs every 30 ms, the short one every 40 ms.
    const [long, short] = await Promise.all([count(1, 8, 30), count(2, 3, 40)]);
    expect(long.result).toMatchObject({ content: [{ text: 'Counted to 8' }] });
    expect(short.result).toMatchObject({ content: [{ text: 'Counted to 3' }] });
    // While both ran, a line could have been either's: it reached neither. None reached the other request.
    expect(long.lines.every((line) => typeof line === 'string' && line.endsWith(' of 8'))).toBe(true);
    expect(short.lines.every((line) => typeof line === 'string' && line.endsWith(' of 3'))).toBe(true);
    // Once the short call was done, the long one's lines were its own again.
    expect(long.lines).toContain('step 8 of 8');
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
