import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_INFO_META_KEY, type Client } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, mcpPost, metricValue, modernRequest, readMessages, waitFor, type TestServer } from './helpers.js';
import { readPackageInfo } from '../src/package-info.js';
import { tempDir } from './own.js';
import { connect, pidsWith, startGateway, startHttpBackend, text, type HttpBackend } from './gateway-helpers.js';

/** A recording backend fixture in its own process; `restart` starts it again on its port. */
interface RecordingBackend<Seen> {
  url: string;
  /** What it recorded of the tools/call requests it received. */
  seen(): Promise<Seen[]>;
  restart(): Promise<void>;
  kill(): Promise<void>;
}

/** The 2025-only backend of test/fixtures/legacy-http.mjs: it records the JSON-RPC ids of the calls. */
type LegacyBackend = RecordingBackend<string | number>;
/** The 2026-07-28-only backend of test/fixtures/recording-modern-http.mjs: it records ids and routing headers. */
type ModernBackend = RecordingBackend<{ id: string | number; method: string | null; name: string | null; client: string | null; params?: Record<string, string> }>;

const startLegacyBackend = (): Promise<LegacyBackend> => startRecordingBackend('test/fixtures/legacy-http.mjs');

async function startRecordingBackend<Seen>(fixture: string, env: Record<string, string> = {}): Promise<RecordingBackend<Seen>> {
  let child: ChildProcess;
  const start = (port: number) =>
    new Promise<number>((resolve, reject) => {
      child = spawn(process.execPath, [fixture], {
        env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`${fixture} exited with ${code}`)));
    });
  const kill = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  const port = await start(0);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen: async () => (await (await fetch(`http://127.0.0.1:${port}/seen`)).json()) as Seen[],
    restart: async () => {
      await kill();
      await start(port);
    },
    kill,
  };
}

const forwarded = (id: string | number) => typeof id === 'string' && /^fwd-\d+$/.test(id);

describe('the forwarding path: tool calls go to HTTP backends as they came', () => {
  let legacy: LegacyBackend;
  let modern: HttpBackend;
  let gateway: TestServer;
  const clients: Client[] = [];
  const open = async (options: Parameters<typeof connect>[1] = {}) => {
    const client = await connect(gateway.mcpUrl, options);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [legacy, modern] = await Promise.all([startLegacyBackend(), startHttpBackend({ name: 'modern' })]);
    // Health probes every 200 ms fail while a backend restarts; the breaker must not open on them, or
    // the call after a restart would meet the open breaker instead of the stale session it tests.
    gateway = await startGateway({ old: { url: legacy.url }, new: { url: modern.url } }, { GATEWAY_BREAKER_THRESHOLD: '1000' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([legacy?.kill(), modern?.kill()]);
  });

  it('a 2025 client calling a 2025 backend: the backend gets the call under an id of the gateway, the client its answer under its own', async () => {
    const client = await open();
    const before = (await legacy.seen()).length;
    expect(text(await client.callTool({ name: 'old__echo', arguments: { text: 'as it came' } }))).toBe('as it came');
    const ids = (await legacy.seen()).slice(before);
    expect(ids).toHaveLength(1);
    expect(forwarded(ids[0]!)).toBe(true);
  });

  it("a backend that asks the client during a forwarded call: the request reaches that client on the call's stream, its answer the backend", async () => {
    const asked: string[] = [];
    const bystander = await open({
      capabilities: { elicitation: { form: {} } },
      setup: (c) =>
        c.setRequestHandler('elicitation/create', () => {
          throw new Error('wrong client');
        }),
    });
    const client = await open({
      capabilities: { elicitation: { form: {} } },
      setup: (c) =>
        c.setRequestHandler('elicitation/create', (request) => {
          asked.push(String(request.params.message));
          return { action: 'accept', content: { answer: 'Ada' } };
        }),
    });
    const before = (await legacy.seen()).length;
    const result = await client.callTool({ name: 'old__ask', arguments: { message: 'Your name?' } });
    expect(JSON.parse(text(result))).toEqual({ action: 'accept', content: { answer: 'Ada' } });
    expect(asked).toEqual(['Your name?']);
    expect((await legacy.seen()).slice(before).every(forwarded)).toBe(true);
    expect(text(await bystander.callTool({ name: 'old__echo', arguments: { text: 'still here' } }))).toBe('still here');
  });

  it("progress and log lines of a forwarded call reach the client while it runs, with the client's own progress token", async () => {
    const logs: string[] = [];
    const client = await open({
      setup: (c) => c.setNotificationHandler('notifications/message', (n) => void logs.push(String(n.params.data))),
    });
    await client.setLoggingLevel('info');
    const before = (await legacy.seen()).length;
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'old__slow', arguments: { steps: 3, ms: 20 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(text(result)).toBe('done after 3 steps');
    expect(progress).toEqual([1, 2, 3]);
    await waitFor(() => logs.length >= 3);
    expect(logs).toEqual(['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
    expect((await legacy.seen()).slice(before).every(forwarded)).toBe(true);
  });

  it('a client cancelling a forwarded call: the backend is told and stops', async () => {
    const client = await open();
    const count = async () => Number(text(await client.callTool({ name: 'old__cancelled_count', arguments: {} })));
    const before = await count();
    const seenBefore = (await legacy.seen()).length;
    const abort = new AbortController();
    const call = client.callTool({ name: 'old__hang', arguments: {} }, { signal: abort.signal });
    await waitFor(async () => (await legacy.seen()).length > seenBefore);
    abort.abort('no longer needed');
    await expect(call).rejects.toThrow();
    await waitFor(async () => (await count()) === before + 1);
    expect(forwarded((await legacy.seen())[seenBefore]!)).toBe(true);
  });

  it("a 2025 client calling a 2026-07-28 backend: the call reaches it as a 2026-07-28 request with the session's log level", async () => {
    const logs: string[] = [];
    const client = await open({
      setup: (c) => c.setNotificationHandler('notifications/message', (n) => void logs.push(String(n.params.data))),
    });
    await client.setLoggingLevel('error');
    expect(text(await client.callTool({ name: 'new__slow', arguments: { steps: 2, ms: 1 } }))).toBe(
      'done after 2 steps',
    );
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'new__slow', arguments: { steps: 1, ms: 1 } });
    await waitFor(() => logs.includes('step 1 of 1'));
    expect(logs).toEqual(['step 1 of 1']);
  });

  it("a call the SDK would refuse is not forwarded: it gets the SDK's own error", async () => {
    const initialized = await mcpPost(gateway.mcpUrl, INITIALIZE);
    const session = initialized.headers.get('mcp-session-id')!;
    await initialized.text();
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    await (await mcpPost(gateway.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).text();
    const before = (await legacy.seen()).length;
    const [answer] = await readMessages(
      await mcpPost(
        gateway.mcpUrl,
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'old__echo', arguments: 'not an object' } },
        headers,
      ),
    );
    expect(answer).toMatchObject({ id: 7, error: { code: -32602 } });
    expect((await legacy.seen()).length).toBe(before);
    await fetch(gateway.mcpUrl, { method: 'DELETE', headers });
  });

  it('a 2025 backend that restarted: the next forwarded call opens a new session and is answered', async () => {
    const client = await open();
    expect(text(await client.callTool({ name: 'old__echo', arguments: { text: 'before' } }))).toBe('before');
    await legacy.restart();
    expect(text(await client.callTool({ name: 'old__echo', arguments: { text: 'after' } }))).toBe('after');
    // The first try met the restarted backend's 404; the call was sent once more on a new session.
    const ids = await legacy.seen();
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(ids.every(forwarded)).toBe(true);
  });
});

describe('the forwarding path for 2026-07-28 clients', () => {
  let modern: ModernBackend;
  let gateway: TestServer;

  beforeAll(async () => {
    modern = await startRecordingBackend('test/fixtures/recording-modern-http.mjs');
    gateway = await startGateway({ now: { url: modern.url } });
  });
  afterAll(async () => {
    await gateway?.close();
    await modern?.kill();
  });

  /** A raw 2026-07-28 tools/call of `now__echo` with the given id; `headers` changes its routing headers. */
  const call = (id: string, headers: Record<string, string | undefined> = {}) => {
    const request = modernRequest('tools/call', { name: 'now__echo', arguments: { text: 'hi' } }, id, 'now__echo');
    const sent = Object.fromEntries(Object.entries({ ...request.headers, ...headers }).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return mcpPost(gateway.mcpUrl, request.body, sent);
  };
  const seenIds = async () => (await modern.seen()).map((entry) => entry.id);

  it('a call goes to the backend as it came: its own id, the routing headers naming the tool without its namespace', async () => {
    const response = await call('client-7');
    expect(response.status).toBe(200);
    const [answer] = await readMessages(response);
    expect(answer).toMatchObject({ id: 'client-7', result: { content: [{ type: 'text', text: 'hi' }], resultType: 'complete' } });
    // The result names the gateway as the server that answered, as the session path does, not the backend.
    const answeredBy = (answer!.result as { _meta?: Record<string, { name?: string }> })._meta?.[SERVER_INFO_META_KEY];
    expect(answeredBy?.name).toBeTypeOf('string');
    expect(answeredBy?.name).not.toBe('example-backend-recording');
    expect(await modern.seen()).toContainEqual({ id: 'client-7', method: 'tools/call', name: 'echo', client: 'raw-test' });
  });

  it('a question of the backend reaches the client as input_required, and its retry with the answer is forwarded too', async () => {
    const asked: string[] = [];
    const client = await connect(gateway.mcpUrl, {
      era: 'modern',
      capabilities: { elicitation: { form: {} } },
      setup: (c) =>
        c.setRequestHandler('elicitation/create', (request) => {
          asked.push(String(request.params.message));
          return { action: 'accept', content: { answer: 'Ada' } };
        }),
    });
    try {
      const before = (await modern.seen()).length;
      const result = await client.callTool({ name: 'now__ask', arguments: { message: 'Your name?' } });
      expect(JSON.parse(text(result))).toEqual({ action: 'accept', content: { answer: 'Ada' } });
      expect(asked).toEqual(['Your name?']);
      // Both rounds reached the backend as the client sent them (its own clientInfo, not the gateway's):
      // the first try and the retry with the answer.
      const rounds = (await modern.seen()).slice(before);
      expect(rounds.map((entry) => [entry.name, entry.client])).toEqual([['ask', 'gateway-test'], ['ask', 'gateway-test']]);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['an Mcp-Name that names another tool', { 'mcp-name': 'now__other' }, 400, -32020],
    ['no Mcp-Method', { 'mcp-method': undefined }, 400, -32020],
    ['no Mcp-Name', { 'mcp-name': undefined }, 400, -32020],
    ['no MCP-Protocol-Version', { 'mcp-protocol-version': undefined }, 400, -32020],
  ] as const)('a call with %s is not forwarded: the SDK refuses it with its own status and error', async (_, headers, status, code) => {
    const before = (await modern.seen()).length;
    const response = await call('refused-1', headers);
    expect(response.status).toBe(status);
    const [answer] = await readMessages(response);
    expect(answer).toMatchObject({ error: { code } });
    expect((await modern.seen()).length).toBe(before);
  });

  it('a call naming a revision the gateway does not serve is not forwarded: the SDK answers 400 with the revisions it does', async () => {
    const before = (await modern.seen()).length;
    const request = modernRequest('tools/call', { name: 'now__echo', arguments: { text: 'hi' } }, 'future-1', 'now__echo');
    const meta = (request.body.params as { _meta: Record<string, unknown> })._meta;
    meta['io.modelcontextprotocol/protocolVersion'] = '2099-01-01';
    const response = await mcpPost(gateway.mcpUrl, request.body, { ...request.headers, 'mcp-protocol-version': '2099-01-01' });
    expect(response.status).toBe(400);
    const [answer] = await readMessages(response);
    expect(JSON.stringify(answer)).toContain('2026-07-28');
    expect((await modern.seen()).length).toBe(before);
  });

  it('a call whose Mcp-Name is Base64-encoded takes the SDK path, which decodes it: answered, under an id of the gateway', async () => {
    const response = await call('client-9', { 'mcp-name': `=?base64?${Buffer.from('now__echo').toString('base64')}?=` });
    expect(response.status).toBe(200);
    const [answer] = await readMessages(response);
    expect(answer).toMatchObject({ id: 'client-9', result: { content: [{ type: 'text', text: 'hi' }] } });
    expect(await seenIds()).not.toContain('client-9');
  });
});

describe('the forwarding path for a tool that mirrors arguments in Mcp-Param-* headers', () => {
  let modern: ModernBackend;
  let gateway: TestServer;

  beforeAll(async () => {
    modern = await startRecordingBackend('test/fixtures/recording-modern-http.mjs', { TOOLS: 'headers' });
    gateway = await startGateway({ h: { url: modern.url } });
  });
  afterAll(async () => {
    await gateway?.close();
    await modern?.kill();
  });

  it('carries the headers the tool declares on as the client sent them, and no other', async () => {
    const request = modernRequest('tools/call', { name: 'h__lookup', arguments: { region: 'eu-west', limit: 5, key: 'k' } }, 'mirror-1', 'h__lookup');
    const response = await mcpPost(gateway.mcpUrl, request.body, {
      ...request.headers,
      'Mcp-Param-Region': '=?base64?ZXUtd2VzdA==?=',
      'mcp-param-limit': '5',
      'Mcp-Param-Other': 'not declared',
    });
    expect(response.status).toBe(200);
    const [answer] = await readMessages(response);
    expect(answer).toMatchObject({ id: 'mirror-1', result: { content: [{ type: 'text', text: 'k in eu-west' }] } });
    // Forwarded (the client's own id), the Base64 value as it was written.
    expect(await modern.seen()).toContainEqual({
      id: 'mirror-1',
      method: 'tools/call',
      name: 'lookup',
      client: 'raw-test',
      params: { 'mcp-param-region': '=?base64?ZXUtd2VzdA==?=', 'mcp-param-limit': '5' },
    });
  });

  it('an argument the call leaves out goes without its header', async () => {
    const request = modernRequest('tools/call', { name: 'h__lookup', arguments: { region: 'eu-west', key: 'k' } }, 'mirror-2', 'h__lookup');
    const response = await mcpPost(gateway.mcpUrl, request.body, { ...request.headers, 'mcp-param-region': 'eu-west' });
    expect(response.status).toBe(200);
    expect((await modern.seen()).find((entry) => entry.id === 'mirror-2')?.params).toEqual({ 'mcp-param-region': 'eu-west' });
  });

  it("a 2025 client's call of it, sent on by the gateway's own session, carries the headers made from its arguments", async () => {
    const client = await connect(gateway.mcpUrl);
    try {
      const result = await client.callTool({ name: 'h__lookup', arguments: { region: 'ü-west', limit: 7, key: 'k' } });
      expect(result.isError).toBeFalsy();
      expect(text(result)).toBe('k in ü-west');
    } finally {
      await client.close();
    }
    // The gateway's own request (its client named in `_meta`), with the value that is not ASCII in Base64.
    const [sent] = (await modern.seen()).slice(-1);
    expect(sent).toMatchObject({
      method: 'tools/call',
      name: 'lookup',
      client: readPackageInfo().name,
      params: { 'mcp-param-region': '=?base64?w7wtd2VzdA==?=', 'mcp-param-limit': '7' },
    });
  });
});

describe('the forwarding path over kept-alive connections', () => {
  let modern: ModernBackend;
  let gateway: TestServer;

  beforeAll(async () => {
    // Every call on a connection used before is dropped by the backend with the connection.
    modern = await startRecordingBackend('test/fixtures/recording-modern-http.mjs', { CLOSE_REUSED: '1' });
    gateway = await startGateway({ now: { url: modern.url } });
  });
  afterAll(async () => {
    await gateway?.close();
    await modern?.kill();
  });

  it('sends a call once more on a new connection when the backend closed the kept-alive one under it', async () => {
    const client = await connect(gateway.mcpUrl, { era: 'modern' });
    try {
      for (const word of ['one', 'two', 'three']) {
        expect(text(await client.callTool({ name: 'now__echo', arguments: { text: word } }))).toBe(word);
      }
    } finally {
      await client.close();
    }
    // Each call reached the backend as it came, once answered; the later ones after a dropped attempt.
    expect((await modern.seen()).map((entry) => entry.client)).toEqual(['gateway-test', 'gateway-test', 'gateway-test']);
    expect(await metricValue(gateway.url, 'mcp_tool_calls_total', { tool: 'now__echo', outcome: 'success' })).toBe(3);
  });
});

describe('the forwarding path within REQUEST_TIMEOUT_MS', () => {
  let legacy: LegacyBackend;
  let gateway: TestServer;

  beforeAll(async () => {
    legacy = await startLegacyBackend();
    gateway = await startGateway({ old: { url: legacy.url } }, { REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await gateway?.close();
    await legacy?.kill();
  });

  it('a forwarded call that outlasts it ends with a tool error, and the backend is told to stop', async () => {
    const client = await connect(gateway.mcpUrl);
    try {
      const result = await client.callTool({ name: 'old__hang', arguments: {} });
      expect(result).toMatchObject({
        isError: true,
        content: [{ type: 'text', text: 'Tool old__hang timed out after 1000 ms' }],
      });
      expect((await legacy.seen()).every(forwarded)).toBe(true);
      await waitFor(async () => text(await client.callTool({ name: 'old__cancelled_count', arguments: {} })) === '1');
    } finally {
      await client.close();
    }
  });
});

describe('the forwarding path to a stdio backend', () => {
  let gateway: TestServer;
  const file = join(tempDir('forward'), 'ids');
  const tag = `tag-${randomUUID()}`;
  /** The ids of the tools/call requests the backend processes read, in order. */
  const seen = (): unknown[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown) : []);

  beforeAll(async () => {
    gateway = await startGateway({ local: { command: process.execPath, args: ['test/fixtures/recording-stdio.mjs', file, tag] } });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it.each(['legacy', 'modern'] as const)('a %s client\'s call reaches the process under an id of the gateway, with progress on the way back', async (era) => {
    const client = await connect(gateway.mcpUrl, { era });
    try {
      const before = seen().length;
      const progress: number[] = [];
      const result = await client.callTool({ name: 'local__slow', arguments: { steps: 2, ms: 5 } }, { onprogress: (p) => progress.push(p.progress) });
      expect(text(result)).toBe('done after 2 steps');
      expect(progress).toEqual([1, 2]);
      const ids = seen().slice(before);
      expect(ids).toHaveLength(1);
      expect(forwarded(ids[0] as string)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('a 2026-07-28 call the process refuses for a capability the client did not declare: 400 with -32021, as the SDK answers it', async () => {
    const before = seen().length;
    const request = modernRequest('tools/call', { name: 'local__ask', arguments: { message: 'Your name?' } }, 'no-elicitation', 'local__ask');
    const response = await mcpPost(gateway.mcpUrl, request.body, request.headers);
    expect(response.status).toBe(400);
    const [answer] = await readMessages(response);
    expect(answer).toMatchObject({ id: 'no-elicitation', error: { code: -32021 } });
    expect(seen().slice(before).every((id) => forwarded(id as string))).toBe(true);
    expect(seen().length).toBeGreaterThan(before);
  });

  it('a 2025 client cancelling a forwarded call: the process is told and stops', async () => {
    const client = await connect(gateway.mcpUrl);
    try {
      const count = async () => Number(text(await client.callTool({ name: 'local__cancelled_count', arguments: {} })));
      const before = await count();
      const seenBefore = seen().length;
      const abort = new AbortController();
      const call = client.callTool({ name: 'local__hang', arguments: {} }, { signal: abort.signal });
      await waitFor(() => seen().length > seenBefore);
      abort.abort('no longer needed');
      await expect(call).rejects.toThrow();
      await waitFor(async () => (await count()) === before + 1);
    } finally {
      await client.close();
    }
  });

  it('a process that exits during a forwarded call: the call fails naming the backend', async () => {
    const client = await connect(gateway.mcpUrl);
    try {
      const seenBefore = seen().length;
      const call = client.callTool({ name: 'local__hang', arguments: {} });
      await waitFor(() => seen().length > seenBefore);
      // This client session's own process is the newest one with the tag.
      const pid = Math.max(...pidsWith(tag));
      process.kill(pid, 'SIGKILL');
      await expect(call).rejects.toThrow(/Backend "local" exited while a call was in flight/);
    } finally {
      await client.close();
    }
  });
});
