import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, connectClient, ERAS, INITIALIZE, mcpPost, metricValue, modernRequest, readMessages, startServer, waitFor, type TestServer } from './helpers.js';

const auth = { authorization: `Bearer ${API_KEY}` };

describe.each(ERAS)('MCP over Streamable HTTP, %s era (stateless)', (era) => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, RATE_LIMIT_RPS: '1000' });
    client = await connectClient(server.mcpUrl, auth, { era, answer: () => ({ action: 'accept', content: { name: 'Ada' } }) });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('speaks the era it was asked for', () => {
    expect(client.getProtocolEra()).toBe(era);
  });

  it('lists the example tools with input schemas and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['add', 'ask_name', 'echo', 'set_note', 'slow_count']);
    const echo = tools.find((tool) => tool.name === 'echo');
    expect(echo?.inputSchema).toMatchObject({ type: 'object', required: ['text'] });
    expect(echo?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(tools.find((tool) => tool.name === 'add')?.outputSchema).toMatchObject({ type: 'object' });
  });

  it('calls tools', async () => {
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'hello' }]);
    const added = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    expect(added.structuredContent).toEqual({ sum: 42 });
    expect(added.isError).toBeFalsy();
  });

  it('streams progress notifications from a long-running tool on the request itself', async () => {
    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow_count', arguments: { steps: 3, intervalMs: 10 } }, { onprogress: (event) => progress.push(event.progress) });
    expect(result.content).toEqual([{ type: 'text', text: 'Counted to 3' }]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('serves the note resource and the prompt', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toEqual(['note://example']);
    const read = await client.readResource({ uri: 'note://example' });
    expect(read.contents[0]).toMatchObject({ uri: 'note://example', text: expect.any(String) });
    const prompt = await client.getPrompt({ name: 'summarize_note', arguments: { words: '5' } });
    expect(JSON.stringify(prompt.messages)).toMatch(/at most 5 words/);
    await expect(client.getPrompt({ name: 'summarize_note', arguments: { words: 'many' } })).rejects.toThrow(/words/);
  });

  it('answers invalid arguments with a tool error, not HTTP 500 or a stack trace', async () => {
    const result = await client.callTool({ name: 'add', arguments: { a: 'one', b: 2 } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/Invalid arguments for tool add/);
  });

  it('answers an unknown tool with an error', async () => {
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/no_such_tool/);
  });

  it('counts tool calls by tool and outcome', async () => {
    const before = await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'echo', outcome: 'success' });
    await client.callTool({ name: 'echo', arguments: { text: 'count me' } });
    expect(await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'echo', outcome: 'success' })).toBe(before + 1);
  });
});

describe('MCP 2026-07-28 specifics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'none', RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('asks the user for input with an input_required result, and finishes when the client answers', async () => {
    const questions: string[] = [];
    const client = await connectClient(server.mcpUrl, {}, {
      answer: (message) => {
        questions.push(message);
        return { action: 'accept', content: { name: 'Ada' } };
      },
    });
    const result = await client.callTool({ name: 'ask_name', arguments: { greeting: 'Hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Hi, Ada!' }]);
    expect(questions).toEqual(['What is your name?']);
    expect(await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'ask_name', outcome: 'input_required' })).toBe(1);
    await client.close();
  });

  it('returns the input_required result itself on the wire, and refuses an answer that breaks the schema', async () => {
    const first = modernRequest('tools/call', { name: 'ask_name', arguments: {} }, 1, 'ask_name');
    first.body.params._meta['io.modelcontextprotocol/clientCapabilities'] = { elicitation: { form: {} } };
    const [asked] = await readMessages(await mcpPost(server.mcpUrl, first.body, first.headers));
    expect(asked).toMatchObject({ id: 1, result: { resultType: 'input_required', inputRequests: { name: { method: 'elicitation/create' } } } });

    const retry = modernRequest('tools/call', { name: 'ask_name', arguments: {}, inputResponses: { name: { action: 'accept', content: { name: '' } } } }, 2, 'ask_name');
    retry.body.params._meta['io.modelcontextprotocol/clientCapabilities'] = { elicitation: { form: {} } };
    const [again] = await readMessages(await mcpPost(server.mcpUrl, retry.body, retry.headers));
    // An empty name does not pass the form's schema: the tool asks again instead of greeting nobody.
    expect(again).toMatchObject({ id: 2, result: { resultType: 'input_required' } });
  });

  it('tells a client that declined that no name was given', async () => {
    const client = await connectClient(server.mcpUrl, {}, { answer: () => ({ action: 'decline' }) });
    const result = await client.callTool({ name: 'ask_name', arguments: {} });
    expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'No name given (decline)' }] });
    await client.close();
  });

  it('answers server/discover with the versions, capabilities and cache hints', async () => {
    const discover = modernRequest('server/discover');
    const response = await mcpPost(server.mcpUrl, discover.body, discover.headers);
    expect(response.status).toBe(200);
    const [message] = await readMessages(response);
    expect(message).toMatchObject({
      result: { supportedVersions: expect.arrayContaining(['2026-07-28']), capabilities: { tools: {}, prompts: {}, resources: { subscribe: true } }, ttlMs: 60_000, cacheScope: 'public' },
    });
  });

  it('puts ttlMs and cacheScope on list results', async () => {
    for (const method of ['tools/list', 'prompts/list', 'resources/list']) {
      const request = modernRequest(method);
      const [message] = await readMessages(await mcpPost(server.mcpUrl, request.body, request.headers));
      expect(message, method).toMatchObject({ result: { ttlMs: 60_000, cacheScope: 'public' } });
    }
    const read = modernRequest('resources/read', { uri: 'note://example' }, 1, 'note://example');
    const [message] = await readMessages(await mcpPost(server.mcpUrl, read.body, read.headers));
    expect(message).toMatchObject({ result: { ttlMs: 0, cacheScope: 'private' } });
  });

  it('refuses a request whose Mcp-Method header disagrees with the body with 400 and -32020', async () => {
    const request = modernRequest('tools/list');
    const response = await mcpPost(server.mcpUrl, request.body, { ...request.headers, 'mcp-method': 'prompts/list' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32020 } });
  });

  it('refuses an unsupported protocol version with -32022', async () => {
    const request = modernRequest('tools/list');
    request.body.params._meta['io.modelcontextprotocol/protocolVersion'] = '2099-01-01';
    const response = await mcpPost(server.mcpUrl, request.body, { ...request.headers, 'mcp-protocol-version': '2099-01-01' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32022 } });
  });

  it('honours the log level each request asks for', async () => {
    const logged = async (level: string) => {
      const request = modernRequest('tools/call', { name: 'slow_count', arguments: { steps: 1, intervalMs: 1 } }, 1, 'slow_count');
      request.body.params._meta['io.modelcontextprotocol/logLevel'] = level;
      const messages = await readMessages(await mcpPost(server.mcpUrl, request.body, request.headers));
      return messages.filter((message) => message.method === 'notifications/message').length;
    };
    expect(await logged('debug')).toBe(1);
    expect(await logged('error')).toBe(0);
  });

  it('delivers a change of the note to a subscriptions/listen stream', async () => {
    const listener = await connectClient(server.mcpUrl);
    const updated: string[] = [];
    listener.setNotificationHandler('notifications/resources/updated', (notification) => void updated.push(notification.params.uri));
    const subscription = await listener.listen({ resourceSubscriptions: ['note://example'] });
    expect(subscription.honoredFilter).toMatchObject({ resourceSubscriptions: ['note://example'] });

    const writer = await connectClient(server.mcpUrl);
    await writer.callTool({ name: 'set_note', arguments: { text: 'changed' } });
    await waitFor(() => updated.length === 1);
    expect(updated).toEqual(['note://example']);
    expect((await writer.readResource({ uri: 'note://example' })).contents[0]).toMatchObject({ text: 'changed' });
    await subscription.close();
    await Promise.all([listener.close(), writer.close()]);
  });
});

describe('MCP 2025 era specifics (stateless)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'none', RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses GET and DELETE with 405: there are no sessions to stream or end', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(server.mcpUrl, { method, headers: { accept: 'text/event-stream' } });
      expect(response.status).toBe(405);
    }
  });

  it('tells a 2025 client that ask_name needs a session to ask on', async () => {
    const client = await connectClient(server.mcpUrl, {}, { era: 'legacy', answer: () => ({ action: 'accept', content: { name: 'Ada' } }) });
    const result = await client.callTool({ name: 'ask_name', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/SESSION_MODE=stateful/);
    await client.close();
  });

  it('answers a raw invalid-arguments call with a tool error and no stack trace', async () => {
    const response = await mcpPost(server.mcpUrl, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 42 } } });
    expect(response.status).toBe(200);
    const [message] = await readMessages(response);
    expect(message).toMatchObject({ id: 7, result: { isError: true } });
    expect(JSON.stringify(message)).not.toMatch(/\n\s+at |\.ts:\d+/);
  });
});

describe('MCP_PROTOCOL=modern', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'none', MCP_PROTOCOL: 'modern' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a 2025 initialize with -32022 and serves 2026-07-28 clients', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32022, data: { supported: ['2026-07-28'] } } });
    const client = await connectClient(server.mcpUrl);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'modern' } })).content).toEqual([{ type: 'text', text: 'modern' }]);
    await client.close();
  });
});

describe('tool call timeout', () => {
  let server: TestServer;
  beforeAll(async () => {
    // The same limit bounds how long the server waits for a request's headers and body (node:http):
    // short enough to end the tool's 4 s early, long enough for a loaded machine to send a request.
    server = await startServer({ AUTH_MODE: 'none', REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ends a call that exceeds REQUEST_TIMEOUT_MS with a tool error', async () => {
    const client = await connectClient(server.mcpUrl);
    const started = Date.now();
    const result = await client.callTool({ name: 'slow_count', arguments: { steps: 2, intervalMs: 2000 } });
    expect(Date.now() - started).toBeLessThan(3500);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/timed out after 1000 ms/);
    expect(await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'slow_count', outcome: 'timeout' })).toBe(1);
    await client.close();
  });
});

describe('shutdown with an open subscriptions/listen stream', () => {
  it('ends the stream instead of waiting for it', async () => {
    const server = await startServer({ AUTH_MODE: 'none' });
    const client = await connectClient(server.mcpUrl);
    const subscription = await client.listen({ resourceSubscriptions: ['note://example'] });
    const started = Date.now();
    expect(await server.shutdown('test')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await subscription.closed).not.toBe('local');
    await client.close().catch(() => undefined);
  });
});
