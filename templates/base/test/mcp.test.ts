import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, connectClient, mcpPost, metricValue, readMessages, startServer, type TestServer } from './helpers.js';

const auth = { authorization: `Bearer ${API_KEY}` };

describe('MCP over Streamable HTTP (stateless)', () => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, RATE_LIMIT_RPS: '1000' });
    client = await connectClient(server.mcpUrl, auth);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('lists the example tools with input schemas and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['add', 'echo', 'slow_count']);
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

  it('streams progress notifications from a long-running tool', async () => {
    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow_count', arguments: { steps: 3, intervalMs: 10 } }, undefined, {
      onprogress: (event) => progress.push(event.progress),
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Counted to 3' }]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('answers invalid arguments with a tool error, not HTTP 500 or a stack trace', async () => {
    const result = await client.callTool({ name: 'add', arguments: { a: 'one', b: 2 } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/Invalid arguments for tool add/);

    const response = await mcpPost(
      server.mcpUrl,
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 42 } } },
      auth,
    );
    expect(response.status).toBe(200);
    const [message] = await readMessages(response);
    expect(message).toMatchObject({ id: 7, result: { isError: true } });
    expect(JSON.stringify(message)).not.toMatch(/\n\s+at |\.ts:\d+/);
  });

  it('answers an unknown tool with an error', async () => {
    const result = await client.callTool({ name: 'no_such_tool', arguments: {} });
    expect(result.isError).toBe(true);
  });

  it('counts tool calls by tool and outcome', async () => {
    const before = await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'echo', outcome: 'success' });
    await client.callTool({ name: 'echo', arguments: { text: 'count me' } });
    expect(await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'echo', outcome: 'success' })).toBe(before + 1);
  });

  it('refuses GET and DELETE with 405: there are no sessions to stream or end', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(server.mcpUrl, { method, headers: { ...auth, accept: 'text/event-stream' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
  });
});

describe('tool call timeout', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'none', REQUEST_TIMEOUT_MS: '200' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ends a call that exceeds REQUEST_TIMEOUT_MS with a tool error', async () => {
    const client = await connectClient(server.mcpUrl);
    const started = Date.now();
    const result = await client.callTool({ name: 'slow_count', arguments: { steps: 2, intervalMs: 2000 } });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/timed out after 200 ms/);
    expect(await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'slow_count', outcome: 'timeout' })).toBe(1);
    await client.close();
  });
});
