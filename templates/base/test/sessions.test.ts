import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  connectClient,
  INITIALIZE,
  mcpPost,
  metricValue,
  OTHER_API_KEY,
  PROJECT_STORE,
  readMessages,
  startServer,
  waitFor,
  type TestServer,
} from './helpers.js';

const owner = { authorization: `Bearer ${API_KEY}` };
const intruder = { authorization: `Bearer ${OTHER_API_KEY}` };
const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

async function openSession(server: TestServer, headers: Record<string, string>) {
  const response = await mcpPost(server.mcpUrl, INITIALIZE, headers);
  expect(response.status).toBe(200);
  await response.text();
  const sessionId = response.headers.get('mcp-session-id');
  expect(sessionId).toBeTruthy();
  const initialized = await mcpPost(server.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, {
    ...headers,
    'mcp-session-id': sessionId!,
  });
  expect(initialized.status).toBe(202);
  return sessionId!;
}

describe('stateful sessions', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({
      AUTH_MODE: 'apikey',
      API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
      SESSION_MODE: 'stateful',
      SESSION_IDLE_TIMEOUT_MS: '1000',
      RATE_LIMIT_RPS: '1000',
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves a 2025 client over a session', async () => {
    const client = await connectClient(server.mcpUrl, owner, { era: 'legacy' });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'in a session' } });
    expect(result.content).toEqual([{ type: 'text', text: 'in a session' }]);
    expect(await metricValue(server.url, 'mcp_active_sessions')).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('asks a 2025 client for input over its session (elicitation) and finishes the call', async () => {
    const questions: string[] = [];
    const client = await connectClient(server.mcpUrl, owner, {
      era: 'legacy',
      answer: (message) => {
        questions.push(message);
        return { action: 'accept', content: { name: 'Grace' } };
      },
    });
    const result = await client.callTool({ name: 'ask_name', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'Hello, Grace!' }]);
    expect(questions).toEqual(['What is your name?']);
    await client.close();
  });

  it('serves 2026-07-28 clients statelessly next to the sessions', async () => {
    const client = await connectClient(server.mcpUrl, owner);
    expect(client.getProtocolEra()).toBe('modern');
    const result = await client.callTool({ name: 'echo', arguments: { text: 'no session' } });
    expect(result.content).toEqual([{ type: 'text', text: 'no session' }]);
    await client.close();
  });

  it('binds a session to the identity that created it', async () => {
    const sessionId = await openSession(server, owner);
    const stolen = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...intruder, 'mcp-session-id': sessionId });
    expect(stolen.status).toBe(404);
    const stolenDelete = await fetch(server.mcpUrl, { method: 'DELETE', headers: { ...intruder, 'mcp-session-id': sessionId } });
    expect(stolenDelete.status).toBe(404);

    const own = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...owner, 'mcp-session-id': sessionId });
    expect(own.status).toBe(200);
    const [message] = await readMessages(own);
    expect(message).toHaveProperty('result.tools');
  });

  it('ends a session on DELETE; the id is unknown afterwards', async () => {
    const sessionId = await openSession(server, owner);
    const deleted = await fetch(server.mcpUrl, { method: 'DELETE', headers: { ...owner, 'mcp-session-id': sessionId } });
    expect(deleted.status).toBe(200);
    const after = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...owner, 'mcp-session-id': sessionId });
    expect(after.status).toBe(404);
  });

  it('answers an unknown session id with 404 and a request without one with 400', async () => {
    const unknown = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...owner, 'mcp-session-id': 'f0f0f0f0-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: -32001 } });
    const missing = await mcpPost(server.mcpUrl, LIST_TOOLS, owner);
    expect(missing.status).toBe(400);
  });

  it('opens the GET SSE stream for server-to-client messages', async () => {
    const sessionId = await openSession(server, owner);
    const abort = new AbortController();
    const stream = await fetch(server.mcpUrl, {
      headers: { ...owner, accept: 'text/event-stream', 'mcp-session-id': sessionId },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    abort.abort();
  });

  it('reports cancellation of a long-running call', async () => {
    const client = await connectClient(server.mcpUrl, owner, { era: 'legacy' });
    const abort = new AbortController();
    const call = client.callTool({ name: 'slow_count', arguments: { steps: 50, intervalMs: 100 } }, {
      signal: abort.signal,
      onprogress: () => abort.abort(),
    });
    await expect(call).rejects.toThrow();
    await waitFor(async () => (await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'slow_count', outcome: 'cancelled' })) === 1);
    await client.close();
  });

  const closedIdle = async (sessionId: string) =>
    // Only the logs are polled: a request on the session would count as activity.
    waitFor(
      () => server.logLines().some((line) => line.msg === 'session closed' && line.sessionId === sessionId && line.reason === 'idle'),
      { timeoutMs: 4000 },
    );

  it.runIf(PROJECT_STORE === 'memory')('expires idle sessions', async () => {
    const sessionId = await openSession(server, owner);
    await closedIdle(sessionId);
    const after = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...owner, 'mcp-session-id': sessionId });
    expect(after.status).toBe(404);
  });

  it.runIf(PROJECT_STORE !== 'memory')(`drops the process' copy of an idle session, which its record in the ${PROJECT_STORE} store rebuilds`, async () => {
    const sessionId = await openSession(server, owner);
    await closedIdle(sessionId);
    const after = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...owner, 'mcp-session-id': sessionId });
    expect(after.status).toBe(200);
    expect(server.logLines().some((line) => line.msg === 'session rebuilt from the shared store' && line.sessionId === sessionId)).toBe(true);
    // Not for anyone else: the record stays bound to the identity that created it.
    const stolen = await mcpPost(server.mcpUrl, LIST_TOOLS, { ...intruder, 'mcp-session-id': sessionId });
    expect(stolen.status).toBe(404);
  });
});

describe('shutdown with open sessions', () => {
  it('closes sessions, including a held GET stream, and drains cleanly after a cancelled call', async () => {
    // Replicated projects share rate limit buckets through their store, with the other servers of
    // this test process: this test is not about limits, so it sets one that they cannot exhaust.
    const server = await startServer({ AUTH_MODE: 'none', SESSION_MODE: 'stateful', RATE_LIMIT_RPS: '1000' });
    const client = await connectClient(server.mcpUrl, {}, { era: 'legacy' });
    const abort = new AbortController();
    const call = client.callTool({ name: 'slow_count', arguments: { steps: 100, intervalMs: 50 } }, {
      signal: abort.signal,
      onprogress: () => abort.abort(),
    });
    await expect(call).rejects.toThrow();
    const sessionId = await openSession(server, {});
    const stream = await fetch(server.mcpUrl, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId } });
    expect(stream.status).toBe(200);
    expect(await metricValue(server.url, 'mcp_active_sessions')).toBe(2);

    const started = Date.now();
    expect(await server.shutdown('test')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.logLines().filter((line) => line.msg === 'session closed' && line.reason === 'shutdown')).toHaveLength(2);
    await client.close().catch(() => undefined);
  });
});
