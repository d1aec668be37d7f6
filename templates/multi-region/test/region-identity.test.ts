import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { API_KEY, INITIALIZE, mcpPost, metricValue, startServer, type TestServer } from './helpers.js';

describe('a server with REGION set', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ REGION: 'eu-west', AUTH_MODE: 'apikey', API_KEYS: API_KEY });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('names its region on /health and in X-MCP-Region on every response, errors included', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok', region: 'eu-west' });
    expect(health.headers.get('x-mcp-region')).toBe('eu-west');

    const unauthorized = await mcpPost(server.mcpUrl, INITIALIZE);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('x-mcp-region')).toBe('eu-west');

    const initialized = await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${API_KEY}` });
    expect(initialized.status).toBe(200);
    expect(initialized.headers.get('x-mcp-region')).toBe('eu-west');
    await initialized.body?.cancel();

    expect((await fetch(`${server.url}/nowhere`)).headers.get('x-mcp-region')).toBe('eu-west');
  });

  it('labels its metrics with the region', async () => {
    expect(await metricValue(server.url, 'mcp_http_requests_total', { region: 'eu-west', route: '/health', status: '200' })).toBeGreaterThan(0);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const samples = text.split('\n').filter((line) => line.startsWith('mcp_'));
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.filter((line) => !line.includes('region="eu-west"'))).toEqual([]);
  });
});

describe('REGION unset or invalid', () => {
  it('without REGION, responses carry no region', async () => {
    const server = await startServer({ AUTH_MODE: 'none' });
    try {
      const health = await fetch(`${server.url}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(health.headers.get('x-mcp-region')).toBeNull();
      expect(await (await fetch(`${server.url}/metrics`)).text()).not.toMatch(/region="/);
    } finally {
      await server.close();
    }
  });

  it('refuses a region name that is not a label, naming REGION', () => {
    expect(() => loadConfig({ REGION: 'EU West!' })).toThrow(ConfigError);
    expect(() => loadConfig({ REGION: 'EU West!' })).toThrow(/REGION: expected a region name/);
  });
});
