import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../src/observability/metrics.js';
import { API_KEY, connectClient, INITIALIZE, mcpPost, metricValue, startServer, type TestServer } from './helpers.js';

describe('health, readiness and metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, RATE_LIMIT_RPS: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves liveness and readiness as JSON without authentication', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    // Patterns add their own checks (a gateway's backends); every one of them must pass.
    const report = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(report.status).toBe('ready');
    for (const [name, check] of Object.entries(report.checks)) expect(check.ok, name).toBe(true);
  });

  it('turns readiness 503 while a registered dependency is down, and back', async () => {
    let up = false;
    server.readiness.register('example-store', () => {
      if (!up) throw new Error('connection refused');
    });
    const down = await fetch(`${server.url}/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'not_ready', checks: { 'example-store': { ok: false } } });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    up = true;
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });

  it('exposes Prometheus metrics whose counters move with traffic', async () => {
    const labels = { method: 'POST', route: '/mcp', status: '200' };
    const requestsBefore = await metricValue(server.url, 'mcp_http_requests_total', labels);
    const unauthorizedBefore = await metricValue(server.url, 'mcp_http_requests_total', { ...labels, status: '401' });
    const toolBefore = await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'add', outcome: 'success' });

    const client = await connectClient(server.mcpUrl, { authorization: `Bearer ${API_KEY}` });
    await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await client.close();
    await (await mcpPost(server.mcpUrl, INITIALIZE)).body?.cancel();

    expect(await metricValue(server.url, 'mcp_http_requests_total', labels)).toBeGreaterThan(requestsBefore);
    expect(await metricValue(server.url, 'mcp_http_requests_total', { ...labels, status: '401' })).toBe(unauthorizedBefore + 1);
    expect(await metricValue(server.url, 'mcp_tool_calls_total', { tool: 'add', outcome: 'success' })).toBe(toolBefore + 1);
    expect(await metricValue(server.url, 'mcp_tool_call_duration_seconds_count', { tool: 'add', outcome: 'success' })).toBe(toolBefore + 1);
    expect(await metricValue(server.url, 'mcp_http_request_duration_seconds_count', labels)).toBeGreaterThan(0);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('# TYPE mcp_active_sessions gauge');
  });

  it('labels unknown paths with a bounded route', async () => {
    await fetch(`${server.url}/some/random/path-123`);
    expect(await metricValue(server.url, 'mcp_http_requests_total', { route: 'other', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(await (await fetch(`${server.url}/metrics`)).text()).not.toContain('path-123');
  });
});

describe('structured logs', () => {
  const CANARY = 'canary-secret-5f1d9a7c3e8b4d21';
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'apikey', API_KEYS: CANARY, RATE_LIMIT_RPS: '1000', LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('writes JSON lines with the request id, echoed to the caller', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'req-abc.123' } });
    expect(response.headers.get('x-request-id')).toBe('req-abc.123');
    const generated = await fetch(`${server.url}/health`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const lines = server.logLines();
    const access = lines.find((line) => line.msg === 'request' && line.requestId === 'req-abc.123');
    expect(access).toMatchObject({ level: 'info', method: 'GET', path: '/health', status: 200 });
    expect(lines.filter((line) => line.msg === 'request').every((line) => typeof line.requestId === 'string')).toBe(true);
  });

  it('replaces an unsafe request id instead of logging it', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'x"}{"level":"fatal' } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs credentials, valid or not', async () => {
    const client = await connectClient(server.mcpUrl, { authorization: `Bearer ${CANARY}` });
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    await client.close();
    await (await mcpPost(server.mcpUrl, INITIALIZE, { 'x-api-key': CANARY })).body?.cancel();
    await (await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${CANARY}-wrong` })).body?.cancel();

    const raw = server.rawLogs();
    expect(raw).toContain('"identity":"key:');
    expect(raw).not.toContain(CANARY);
    expect(server.logLines().some((line) => line.msg === 'invalid credentials')).toBe(true);
  });
});

describe('alerting rules', () => {
  it('reference only metrics the app emits', async () => {
    const rules = readFileSync(new URL('../monitoring/alerts.yml', import.meta.url), 'utf8');
    const server = await startServer({ AUTH_MODE: 'none' });
    const exposed = await (await fetch(`${server.url}/metrics`)).text();
    await server.close();
    const referenced = new Set([...rules.matchAll(/\bmcp_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, '')));
    expect(referenced.size).toBeGreaterThan(3);
    for (const name of referenced) {
      expect(Object.values(METRIC_NAMES), name).toContain(name);
      expect(exposed, name).toContain(`# TYPE ${name} `);
    }
  });
});
