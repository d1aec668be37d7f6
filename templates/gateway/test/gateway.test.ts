import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { loadGatewaySettings } from '../src/gateway/settings.js';
import { API_KEY, metricValue, waitFor, type TestServer } from './helpers.js';
import { tempDir } from './own.js';
import { allTools, BACKEND_TOKEN, connect, pidsWith, processesWith, startGateway, startHttpBackend, stdioBackend, text, type HttpBackend } from './gateway-helpers.js';

/**
 * The gateway in front of two real backends: the example backend over Streamable HTTP (its own
 * process, with its own credential) and over stdio (a process per client session).
 */
describe('gateway with an HTTP and a stdio backend', () => {
  let http: HttpBackend;
  let gateway: TestServer;
  let stdioTag: string;
  const auth = { authorization: `Bearer ${API_KEY}` };
  const clients: Client[] = [];
  const open = async (options: Parameters<typeof connect>[1] = {}) => {
    const client = await connect(gateway.mcpUrl, { ...options, headers: { ...auth, ...options.headers } });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    http = await startHttpBackend({ name: 'remote', token: BACKEND_TOKEN });
    const stdio = stdioBackend('local');
    stdioTag = stdio.tag;
    gateway = await startGateway(
      {
        remote: { url: http.url, headers: { Authorization: 'Bearer ${TEST_BACKEND_TOKEN}' }, timeoutMs: 2000 },
        // A call's time includes starting the session's own process, which takes seconds on a loaded machine.
        local: { ...stdio.entry, timeoutMs: 10_000 },
      },
      { AUTH_MODE: 'apikey', API_KEYS: API_KEY, GATEWAY_PAGE_SIZE: '7', GATEWAY_BREAKER_THRESHOLD: '2', GATEWAY_BREAKER_COOLDOWN_MS: '500' },
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
    await gateway?.close();
    await http?.kill();
  });
  process.env.TEST_BACKEND_TOKEN = BACKEND_TOKEN;

  it('lists the tools of both backends, namespaced, over several pages on both sides', async () => {
    const client = await open();
    const { names, pages } = await allTools(client);
    // Each backend serves 5 tools per page; the gateway serves 7 per page.
    const own = ['echo', 'whoami', 'client_capabilities', 'add', 'slow', 'hang', 'cancelled_count', 'listings', 'sample', 'ask', 'roots', 'add_tool', 'touch', 'fail', 'crash', 'filler_1', 'filler_2', 'filler_3', 'filler_4'];
    expect(names.filter((name) => name.startsWith('remote__'))).toEqual(own.map((name) => `remote__${name}`));
    expect(names.filter((name) => name.startsWith('local__'))).toEqual(own.map((name) => `local__${name}`));
    expect(pages).toBe(Math.ceil((own.length * 2) / 7));
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
    await expect(client.listTools({ cursor: 'bogus' })).rejects.toThrow(/Invalid cursor/);
  });

  it('routes a call to each backend; the backend gets its own credential, never the client\'s', async () => {
    const client = await open();
    const remote = JSON.parse(text(await client.callTool({ name: 'remote__whoami', arguments: {} }))) as { backend: string; authorization: string | null };
    const local = JSON.parse(text(await client.callTool({ name: 'local__whoami', arguments: {} }))) as { backend: string };
    expect(remote).toMatchObject({ backend: 'remote', authorization: `Bearer ${BACKEND_TOKEN}` });
    expect(JSON.stringify(remote)).not.toContain(API_KEY);
    expect(local.backend).toBe('local');
    expect(text(await client.callTool({ name: 'local__add', arguments: { a: 2, b: 3 } }))).toBe('5');
    const failed = await client.callTool({ name: 'remote__fail', arguments: {} });
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'tool failed on remote' }] });
    await expect(client.callTool({ name: 'nobody__echo', arguments: {} })).rejects.toThrow(/Unknown tool "nobody__echo": no backend serves it/);
  });

  it.each(['remote', 'local'])('forwards progress with the client\'s token and log messages after setLevel (%s)', async (backend) => {
    const logs: string[] = [];
    const client = await open({ setup: (c) => c.setNotificationHandler('notifications/message', (n) => void logs.push(String(n.params.data))) });
    await client.setLoggingLevel('info');
    const progress: Array<{ progress: number; message?: string }> = [];
    const result = await client.callTool({ name: `${backend}__slow`, arguments: { steps: 3, ms: 10 } }, { onprogress: (p) => progress.push(p) });
    expect(text(result)).toBe('done after 3 steps');
    expect(progress.map((p) => [p.progress, p.message])).toEqual([[1, 'step 1'], [2, 'step 2'], [3, 'step 3']]);
    await waitFor(() => logs.length >= 3);
    expect(logs).toEqual(['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
    await client.setLoggingLevel('error');
    logs.length = 0;
    await client.callTool({ name: `${backend}__slow`, arguments: { steps: 2, ms: 1 } });
    // The backend sends its log lines in order: once a later call's line has arrived, any line of
    // the quiet call would have arrived before it.
    await client.setLoggingLevel('info');
    await client.callTool({ name: `${backend}__slow`, arguments: { steps: 1, ms: 1 } });
    await waitFor(() => logs.includes('step 1 of 1'));
    expect(logs).toEqual(['step 1 of 1']);
  });

  it.each(['remote', 'local'])('sends sampling, elicitation and roots requests to the client that caused them (%s)', async (backend) => {
    const bystander = await open({ capabilities: { sampling: {} }, setup: (c) => c.setRequestHandler('sampling/createMessage', () => { throw new Error('wrong client'); }) });
    const client = await open({
      capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
      setup: (c) => {
        c.setRequestHandler('sampling/createMessage', (request) => ({
          model: 'test-model',
          role: 'assistant',
          content: { type: 'text', text: `model says: ${JSON.stringify(request.params.messages[0]?.content)}` },
        }));
        c.setRequestHandler('elicitation/create', (request) => ({ action: 'accept', content: { answer: `yes to ${request.params.message}` } }));
        c.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
      },
    });
    await bystander.callTool({ name: `${backend}__echo`, arguments: { text: 'x' } });
    expect(text(await client.callTool({ name: `${backend}__sample`, arguments: { prompt: 'hi' } }))).toContain('model says');
    expect(JSON.parse(text(await client.callTool({ name: `${backend}__ask`, arguments: { message: 'proceed?' } })))).toEqual({ action: 'accept', content: { answer: 'yes to proceed?' } });
    expect(JSON.parse(text(await client.callTool({ name: `${backend}__roots`, arguments: {} })))).toEqual(['file:///work']);
  });

  it('advertises to backends only what the client really has', async () => {
    const plain = await open();
    expect(JSON.parse(text(await plain.callTool({ name: 'local__client_capabilities', arguments: {} })))).toEqual({});
    const rich = await open({ capabilities: { sampling: {}, elicitation: { form: {} } }, setup: (c) => {
      c.setRequestHandler('sampling/createMessage', () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: '' } }));
      c.setRequestHandler('elicitation/create', () => ({ action: 'decline' }));
    } });
    expect(JSON.parse(text(await rich.callTool({ name: 'remote__client_capabilities', arguments: {} })))).toEqual({ sampling: {}, elicitation: { form: {} } });
    // Without the capability the backend's request is refused, never answered on the client's behalf.
    await expect(plain.callTool({ name: 'local__sample', arguments: { prompt: 'hi' } })).rejects.toThrow(/capabilit/);
  });

  describe('2026-07-28 clients: each request on its own, over the shared backend connections', () => {
    const openModern = (options: Parameters<typeof connect>[1] = {}) => open({ ...options, era: 'modern' });
    const answering = (c: Client) => {
      c.setRequestHandler('sampling/createMessage', (request) => ({ model: 'test-model', role: 'assistant', content: { type: 'text', text: `model says: ${JSON.stringify(request.params.messages[0]?.content)}` } }));
      c.setRequestHandler('elicitation/create', (request) => ({ action: 'accept', content: { answer: `yes to ${request.params.message}` } }));
      c.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
    };

    it('lists and calls the tools of both backends', async () => {
      const client = await openModern();
      expect(client.getProtocolEra()).toBe('modern');
      const { names } = await allTools(client);
      expect(names).toContain('remote__echo');
      expect(names).toContain('local__echo');
      expect(text(await client.callTool({ name: 'local__add', arguments: { a: 2, b: 3 } }))).toBe('5');
      expect(JSON.parse(text(await client.callTool({ name: 'remote__whoami', arguments: {} })))).toMatchObject({ backend: 'remote', authorization: `Bearer ${BACKEND_TOKEN}` });
      await expect(client.callTool({ name: 'nobody__echo', arguments: {} })).rejects.toThrow(/Unknown tool "nobody__echo"/);
    });

    it('passes the backends\' cache hints on with the merged list, and none to a 2025 client', async () => {
      const modern = await openModern();
      expect(await modern.request({ method: 'tools/list', params: {} })).toMatchObject({ ttlMs: 30_000, cacheScope: 'public' });
      const legacy = await open();
      const page = await legacy.request({ method: 'tools/list', params: {} });
      expect(page).not.toHaveProperty('ttlMs');
      expect(page).not.toHaveProperty('cacheScope');
    });

    it.each(['remote', 'local'])('passes input_required through with its requestState, so the client answers and the call completes (%s)', async (backend) => {
      const client = await openModern({ capabilities: { sampling: {}, elicitation: { form: {} }, roots: {} }, setup: answering });
      expect(JSON.parse(text(await client.callTool({ name: `${backend}__ask`, arguments: { message: 'proceed?' } })))).toEqual({ action: 'accept', content: { answer: 'yes to proceed?' } });
      expect(text(await client.callTool({ name: `${backend}__sample`, arguments: { prompt: 'hi' } }))).toContain('model says');
      expect(JSON.parse(text(await client.callTool({ name: `${backend}__roots`, arguments: {} })))).toEqual(['file:///work']);
      // The backend sees the client's own capabilities, not the gateway's.
      expect(JSON.parse(text(await client.callTool({ name: `${backend}__client_capabilities`, arguments: {} })))).toMatchObject({ elicitation: { form: {} } });
    });

    it('refuses input a client did not declare it can give', async () => {
      const client = await openModern();
      await expect(client.callTool({ name: 'remote__ask', arguments: { message: 'proceed?' } })).rejects.toThrow(/capabilit/);
    });

    it.each(['remote', 'local'])('forwards progress with the client\'s token (%s)', async (backend) => {
      const client = await openModern();
      const progress: number[] = [];
      const result = await client.callTool({ name: `${backend}__slow`, arguments: { steps: 3, ms: 5 } }, { onprogress: (p) => progress.push(p.progress) });
      expect(text(result)).toBe('done after 3 steps');
      expect(progress).toEqual([1, 2, 3]);
    });

    it('announces a backend\'s changed tools on the subscriptions/listen stream', async () => {
      let changed = 0;
      const client = await openModern({ setup: (c) => c.setNotificationHandler('notifications/tools/list_changed', () => void changed++) });
      const subscription = await client.listen({ toolsListChanged: true });
      try {
        const other = await openModern();
        await other.callTool({ name: 'remote__add_tool', arguments: { name: 'modern_tool' } });
        await waitFor(() => changed > 0);
        expect((await allTools(client)).names).toContain('remote__modern_tool');
      } finally {
        await subscription.close();
      }
    });

    it.each([
      ['remote', 'local'],
      ['local', 'remote'],
    ])('passes a resource update of %s on to the subscriptions/listen streams that asked for it, and no other', async (backend, other) => {
      const [uri, otherUri] = [`mem://${backend}/readme`, `mem://${other}/readme`];
      const updates: string[] = [];
      const otherUpdates: string[] = [];
      const client = await openModern({ setup: (c) => c.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri)) });
      const watcher = await openModern({ setup: (c) => c.setNotificationHandler('notifications/resources/updated', (n) => void otherUpdates.push(n.params.uri)) });
      const subscription = await client.listen({ resourceSubscriptions: [uri] });
      const otherSubscription = await watcher.listen({ resourceSubscriptions: [otherUri] });
      try {
        expect(subscription.honoredFilter).toEqual({ resourceSubscriptions: [uri] });
        const writer = await openModern();
        // An update of a resource the client did not name reaches the stream that named it, and not the client's.
        await writer.callTool({ name: `${other}__touch`, arguments: { uri: otherUri } });
        await waitFor(() => otherUpdates.length > 0);
        await writer.callTool({ name: `${backend}__touch`, arguments: { uri } });
        await waitFor(() => updates.length > 0);
        expect(updates).toEqual([uri]);
        expect(otherUpdates).toEqual([otherUri]);
      } finally {
        await Promise.all([subscription.close(), otherSubscription.close()]);
      }
    });
  });

  it('propagates cancellation to the backend', async () => {
    const client = await open();
    const before = Number(text(await client.callTool({ name: 'remote__cancelled_count', arguments: {} })));
    const controller = new AbortController();
    const call = client.callTool({ name: 'remote__hang', arguments: {} }, { signal: controller.signal, timeout: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort('user gave up');
    await expect(call).rejects.toThrow();
    await waitFor(async () => Number(text(await client.callTool({ name: 'remote__cancelled_count', arguments: {} }))) === before + 1, { timeoutMs: 3000 });
  });

  it('tells clients when a backend\'s tools changed, and lists the new ones', async () => {
    let changed = 0;
    const client = await open({ setup: (c) => c.setNotificationHandler('notifications/tools/list_changed', () => void changed++) });
    const other = await open();
    // Cached: listing again does not reach the backend.
    const listings = async () => Number(text(await other.callTool({ name: 'remote__listings', arguments: {} })));
    await allTools(client);
    const before = await listings();
    await allTools(client);
    await allTools(other);
    expect(await listings()).toBe(before);
    await other.callTool({ name: 'remote__add_tool', arguments: { name: 'fresh_tool' } });
    await waitFor(() => changed > 0);
    const { names } = await allTools(client);
    expect(names).toContain('remote__fresh_tool');
    expect(await listings()).toBe(before + 1);
    expect(text(await client.callTool({ name: 'remote__fresh_tool', arguments: {} }))).toBe('fresh_tool ran');
  });

  it('aggregates resources, templates and prompts; reads, subscribes and completes on the right backend', async () => {
    const updates: string[] = [];
    const client = await open({ setup: (c) => c.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri)) });
    expect((await client.listResources()).resources.map((r) => r.uri).sort()).toEqual(['mem://local/readme', 'mem://remote/readme']);
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['mem://local/notes/{id}', 'mem://remote/notes/{id}']);
    expect((await client.readResource({ uri: 'mem://remote/readme' })).contents[0]).toMatchObject({ text: 'readme of remote' });
    expect((await client.readResource({ uri: 'mem://local/notes/7' })).contents[0]).toMatchObject({ text: 'note 7 of local' });
    await expect(client.readResource({ uri: 'mem://nowhere/x' })).rejects.toThrow(/Unknown resource "mem:\/\/nowhere\/x"/);
    await client.subscribeResource({ uri: 'mem://local/readme' });
    expect(text(await client.callTool({ name: 'local__touch', arguments: { uri: 'mem://local/readme' } }))).toBe('notified');
    await waitFor(() => updates.includes('mem://local/readme'));
    expect((await client.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['local__greet', 'remote__greet']);
    const prompt = await client.getPrompt({ name: 'remote__greet', arguments: { who: 'Ada' } });
    expect(prompt.messages[0]?.content).toMatchObject({ text: 'Hello Ada from remote' });
    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'local__greet' }, argument: { name: 'who', value: 'al' } });
    expect(completion.completion.values).toEqual(['alice', 'albert']);
    const variable = await client.complete({ ref: { type: 'ref/resource', uri: 'mem://remote/notes/{id}' }, argument: { name: 'id', value: '1' } });
    expect(variable.completion.values).toEqual(['1', '10']);
  });

  it('rejects clients without valid credentials (401 with WWW-Authenticate)', async () => {
    const missing = await fetch(gateway.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer .*resource_metadata=/);
    await expect(connect(gateway.mcpUrl, { headers: { authorization: 'Bearer wrong-key-0123456789abcdef' } })).rejects.toThrow(/Unauthorized/);
  });

  it('reports each backend on /ready and per-backend metrics', async () => {
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { status: string; checks: Record<string, { ok: boolean; state?: string }> };
    expect(ready).toMatchObject({ status: 'ready', checks: { 'backend:remote': { ok: true, state: 'ready' }, 'backend:local': { ok: true, state: 'ready' } } });
    expect(await metricValue(gateway.url, 'mcp_backend_requests_total', { backend: 'remote', operation: 'tools/call', outcome: 'success' })).toBeGreaterThan(0);
    expect(await metricValue(gateway.url, 'mcp_backend_circuit_breaker_state', { backend: 'local' })).toBe(0);
    expect(await metricValue(gateway.url, 'mcp_backend_up', { backend: 'remote' })).toBe(1);
  });

  it('one stdio process per client session, ended with the session', async () => {
    const base = processesWith(stdioTag);
    const sessions = await Promise.all([1, 2, 3].map(() => connect(gateway.mcpUrl, { headers: auth })));
    await Promise.all(sessions.map((client) => client.callTool({ name: 'local__echo', arguments: { text: 'x' } })));
    expect(processesWith(stdioTag)).toBe(base + 3);
    // Closing the client transport alone keeps the session on the server; DELETE ends it.
    await Promise.all(sessions.map(async (client) => {
      await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
      await client.close();
    }));
    await waitFor(() => processesWith(stdioTag) === base, { timeoutMs: 8000 });
  });

  it('keeps answering when a backend dies mid-run: the breaker opens, then closes once it is back', async () => {
    const client = await open();
    expect(text(await client.callTool({ name: 'remote__echo', arguments: { text: 'before' } }))).toBe('before');
    const port = http.port;
    await http.kill();
    const errors: string[] = [];
    for (let i = 0; i < 4; i++) {
      errors.push(await client.callTool({ name: 'remote__echo', arguments: { text: 'x' } }).then(() => 'ok', (error: Error & { code?: number }) => `${error.code} ${error.message}`));
      // The other backend is not affected.
      expect(text(await client.callTool({ name: 'local__echo', arguments: { text: `still ${i}` } }))).toBe(`still ${i}`);
    }
    expect(errors.every((message) => message !== 'ok')).toBe(true);
    expect(errors.at(-1)).toMatch(/-32010.*Backend "remote" is unavailable/);
    await waitFor(async () => (await metricValue(gateway.url, 'mcp_backend_circuit_breaker_state', { backend: 'remote' })) === 2 || (await metricValue(gateway.url, 'mcp_backend_up', { backend: 'remote' })) === 0);
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { status: string; checks: Record<string, { ok: boolean; state?: string }> };
    expect(ready.status).toBe('ready');
    expect(ready.checks['backend:remote']).toMatchObject({ ok: false });
    expect(ready.checks['backend:local']).toMatchObject({ ok: true });

    http = await startHttpBackend({ port, name: 'remote', token: BACKEND_TOKEN });
    await waitFor(async () => {
      const result = await client.callTool({ name: 'remote__echo', arguments: { text: 'back' } }).then(text, () => '');
      return result === 'back';
    }, { timeoutMs: 10_000, intervalMs: 200 });
    expect(await metricValue(gateway.url, 'mcp_backend_circuit_breaker_state', { backend: 'remote' })).toBe(0);
    await waitFor(async () => ((await (await fetch(`${gateway.url}/ready`)).json()) as { checks: Record<string, { state?: string }> }).checks['backend:remote']?.state === 'ready');
  });
});

describe('gateway listing a backend that goes down', () => {
  let http: HttpBackend;
  let gateway: TestServer;
  let client: Client | undefined;
  beforeAll(async () => {
    http = await startHttpBackend({ name: 'remote' });
    gateway = await startGateway({ remote: { url: http.url, timeoutMs: 2000 }, local: stdioBackend('local').entry });
  });
  afterAll(async () => {
    await client?.close().catch(() => {});
    await gateway?.close();
    await http?.kill();
  });

  it('leaves the tools of a backend that is down out of the list, and lists them again once it is back', async () => {
    client = await connect(gateway.mcpUrl);
    const names = async () => (await allTools(client!)).names;
    expect(await names()).toEqual(expect.arrayContaining(['remote__echo', 'local__echo']));
    // Listed again unchanged (the merged list as it was), then without the backend once it is down.
    expect(await names()).toEqual(expect.arrayContaining(['remote__echo', 'local__echo']));
    const port = http.port;
    await http.kill();
    await waitFor(async () => !(await names()).includes('remote__echo'), { timeoutMs: 10_000, intervalMs: 100 });
    expect(await names()).toContain('local__echo');
    http = await startHttpBackend({ port, name: 'remote' });
    await waitFor(async () => (await names()).includes('remote__echo'), { timeoutMs: 10_000, intervalMs: 200 });
  });
});

describe('gateway with a hanging backend', () => {
  let hanging: HttpBackend;
  let gateway: TestServer;
  beforeAll(async () => {
    hanging = await startHttpBackend({ name: 'slowpoke' });
    gateway = await startGateway({ slowpoke: { url: hanging.url, timeoutMs: 1500 }, local: stdioBackend('local').entry });
  });
  afterAll(async () => {
    await gateway?.close();
    await hanging?.kill();
  });

  it('times a hanging call out after the backend\'s timeoutMs, while the other backend answers meanwhile', async () => {
    const client = await connect(gateway.mcpUrl);
    // The first call opens this session's stdio process; the comparison below is about the hang only.
    expect(text(await client.callTool({ name: 'local__echo', arguments: { text: 'warm' } }))).toBe('warm');
    let hangEnded = false;
    const hung = client.callTool({ name: 'slowpoke__hang', arguments: {} }).then(() => 'answered', (error: Error & { code?: number }) => `${error.code} ${error.message}`).finally(() => (hangEnded = true));
    for (let i = 0; i < 3; i++) expect(text(await client.callTool({ name: 'local__echo', arguments: { text: `fast ${i}` } }))).toBe(`fast ${i}`);
    expect(hangEnded).toBe(false);
    expect(await hung).toMatch(/-32001.*Backend "slowpoke" did not answer tools\/call within 1500 ms/);
    await client.close();
  });
});

describe('gateway start', () => {
  it('stops with a message naming the file, the server and the field when the servers file is wrong', async () => {
    await expect(startGateway({ broken: { url: 'http://127.0.0.1:1/mcp', timeoutMs: 'soon' } })).rejects.toThrow(/gateway\.config\.json: mcpServers\.broken\.timeoutMs: expected a whole number/);
    await expect(startGateway({ broken: { url: 'http://127.0.0.1:1/mcp', headers: { Authorization: 'Bearer ${NOT_SET_ANYWHERE}' } } })).rejects.toThrow(/NOT_SET_ANYWHERE is not set/);
  });

  it('rejects bad GATEWAY_* variables with a message naming each', () => {
    expect(() => loadGatewaySettings({ GATEWAY_PAGE_SIZE: 'lots', GATEWAY_BREAKER_THRESHOLD: '0' })).toThrow(/GATEWAY_PAGE_SIZE: expected a number[\s\S]*GATEWAY_BREAKER_THRESHOLD: expected at least 1/);
    // The configuration refuses them at start too: one declaration, one set of bounds.
    expect(() => loadConfig({ GATEWAY_PAGE_SIZE: 'lots' })).toThrow(/GATEWAY_PAGE_SIZE: expected a number/);
    expect(loadGatewaySettings({})).toMatchObject({ configFile: 'gateway.config.json', pageSize: 100, breakerThreshold: 5, sessionIdleMs: 300_000 });
  });

  it('detects names two backends both expose: serves the first, reports the collision', async () => {
    const gateway = await startGateway({ first: stdioBackend('first', { prefix: 'shared' }).entry, second: stdioBackend('second', { prefix: 'shared' }).entry });
    try {
      const client = await connect(gateway.mcpUrl);
      const { names } = await allTools(client);
      expect(names.filter((name) => name === 'shared__echo')).toHaveLength(1);
      expect(JSON.parse(text(await client.callTool({ name: 'shared__whoami', arguments: {} })))).toMatchObject({ backend: 'first' });
      const logged = gateway.logLines().map((line) => String(line.msg));
      expect(logged).toContainEqual(expect.stringMatching(/tool "shared__echo" is exposed by first and second; serving first's\. Give the others a distinct "prefix"/));
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('reads every page of a backend up to its maxListPages, and names the setting once when a list is longer', async () => {
    // The example backend lists 5 tools a page and has more than 5: two pages at least.
    const gateway = await startGateway({
      short: stdioBackend('short', { prefix: 'short', maxListPages: 1 }).entry,
      long: stdioBackend('long', { prefix: 'long', maxListPages: 20 }).entry,
    });
    try {
      const client = await connect(gateway.mcpUrl);
      const { names } = await allTools(client);
      expect(names).toContain('long__filler_4');
      expect(names.filter((name) => name.startsWith('short__'))).toEqual([]);
      const logged = gateway.logLines().map((line) => String(line.msg));
      expect(logged).toContainEqual(expect.stringMatching(/listing backend "short" gave up after 1 pages of tools.*raise "maxListPages" of "short" in the servers file/));
      // Not asked again for every listing: a list that long is as long the next time, until the backend says it changed.
      await allTools(client);
      expect(gateway.logLines().filter((line) => String(line.msg).includes('listing backend "short" gave up after 1 pages of tools'))).toHaveLength(1);
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('lists a backend whose list failed to load once it loads, without a client asking, and tells the clients', async () => {
    const loading = join(tempDir('loading'), 'still-loading');
    writeFileSync(loading, '');
    const backend = stdioBackend('loading');
    const gateway = await startGateway({
      local: stdioBackend('local').entry,
      loading: { ...backend.entry, args: ['test/fixtures/loading-stdio.mjs', backend.tag], env: { FAIL_WHILE: loading } },
    });
    const lists = (outcome: string) => metricValue(gateway.url, 'mcp_backend_requests_total', { backend: 'loading', operation: 'tools/list', outcome });
    try {
      let changed = 0;
      const client = await connect(gateway.mcpUrl, { setup: (c) => c.setNotificationHandler('notifications/tools/list_changed', () => void changed++) });
      const before = (await client.listTools()).tools.map((tool) => tool.name);
      expect(before).toContain('local__echo');
      expect(before).not.toContain('loading__ready');
      rmSync(loading);
      // Listed again when its wait is over (no client lists meanwhile), and the change announced.
      await waitFor(() => changed > 0, { timeoutMs: 20_000, intervalMs: 50 });
      expect(await lists('success')).toBe(1);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('loading__ready');
      expect(text(await client.callTool({ name: 'loading__ready', arguments: {} }))).toBe('loaded');
      // Asked once per wait while it failed (an error it answered is not retried), the wait doubling each time.
      const failures = gateway.logLines().filter((line) => String(line.msg).startsWith('listing tools of backend "loading" failed'));
      expect(await lists('error')).toBe(failures.length);
      expect(failures.map((line) => line.retryInMs)).toEqual(failures.map((_, index) => Math.min(1000 * 2 ** index, 30_000)));
      expect(await lists('success')).toBe(1);
      await client.close();
    } finally {
      await gateway.close();
    }
  }, 60_000);

  // A restart with backoff and a cold start of the backend take seconds on a loaded machine: generous limits.
  it('restarts a stdio backend whose processes died, and the next call of a session gets a fresh one', async () => {
    const { entry, tag } = stdioBackend('local');
    const gateway = await startGateway({ local: entry });
    const backendState = async () => ((await (await fetch(`${gateway.url}/ready`)).json()) as { checks: Record<string, { state?: string }> }).checks['backend:local']?.state;
    try {
      const client = await connect(gateway.mcpUrl);
      const pidOf = async () => client.callTool({ name: 'local__whoami', arguments: {} }).then((result) => (JSON.parse(text(result)) as { pid: number }).pid, () => undefined);
      const first = await pidOf();
      expect(pidsWith(tag)).toHaveLength(2);
      for (const pid of pidsWith(tag)) process.kill(pid, 'SIGKILL');
      await waitFor(async () => (await backendState()) === 'ready' && pidsWith(tag).length >= 1, { timeoutMs: 15_000 });
      let next: number | undefined;
      await waitFor(async () => ((next = await pidOf()) !== undefined), { timeoutMs: 15_000, intervalMs: 100 });
      expect(next).not.toBe(first);
      expect(pidsWith(tag)).toHaveLength(2);
      await client.close();
    } finally {
      await gateway.close();
    }
    await waitFor(() => processesWith(tag) === 0, { timeoutMs: 15_000 });
  }, 60_000);

  it('is not ready (503) while no backend is', async () => {
    const gateway = await startGateway({ down: { url: 'http://127.0.0.1:9/mcp', timeoutMs: 300 } });
    try {
      const ready = await fetch(`${gateway.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { backends: { ok: false }, 'backend:down': { ok: false, state: 'down' } } });
    } finally {
      await gateway.close();
    }
  });

  it('starts with a backend that is down, reports it, and leaves no process behind after shutdown', async () => {
    const { entry, tag } = stdioBackend('local');
    const gateway = await startGateway({ down: { url: 'http://127.0.0.1:9/mcp', timeoutMs: 300 }, local: entry });
    try {
      const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { status: string; checks: Record<string, { ok: boolean; state?: string }> };
      expect(ready).toMatchObject({ status: 'ready', checks: { 'backend:down': { ok: false, state: 'down' }, 'backend:local': { ok: true } } });
      const client = await connect(gateway.mcpUrl);
      await expect(client.callTool({ name: 'down__echo', arguments: {} })).rejects.toThrow(/Unknown tool|unavailable/);
      expect(text(await client.callTool({ name: 'local__echo', arguments: { text: 'hi' } }))).toBe('hi');
      expect(processesWith(tag)).toBe(2);
    } finally {
      await gateway.close();
    }
    await waitFor(() => processesWith(tag) === 0, { timeoutMs: 8000 });
  });
});
