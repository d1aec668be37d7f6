import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, INITIALIZE, mcpPost, metricValue, OTHER_API_KEY, type TestServer } from './helpers.js';
import { connect, startGateway, stdioBackend } from './gateway-helpers.js';

/**
 * The gateway with the built-in defaults a user gets without configuring anything: what a real
 * client does at its start must pass, what a foreign page or a flood does must not.
 */
describe('gateway with the built-in Origin and rate limit defaults', () => {
  let gateway: TestServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    // Empty means unset: the built-in defaults of ALLOWED_ORIGINS and the rate limit apply.
    gateway = await startGateway({ local: stdioBackend('local').entry }, { AUTH_MODE: 'apikey', API_KEYS: `${API_KEY},${OTHER_API_KEY}`, RATE_LIMIT_RPS: '', RATE_LIMIT_BURST: '' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
    await gateway?.close();
  });

  it('lets its own loopback origin through, and refuses foreign ones and other local ports', async () => {
    const port = new URL(gateway.url).port;
    const auth = { authorization: `Bearer ${API_KEY}` };
    for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`]) {
      const response = await mcpPost(gateway.mcpUrl, INITIALIZE, { ...auth, origin });
      expect(response.status, origin).toBe(200);
      expect(response.headers.get('access-control-allow-origin'), origin).toBe(origin);
      await response.body?.cancel();
    }
    for (const origin of ['https://evil.example', `http://localhost:${Number(port) + 1}`, `https://localhost:${port}`, `http://evil.example:${port}`]) {
      const response = await mcpPost(gateway.mcpUrl, INITIALIZE, { ...auth, origin });
      expect(response.status, origin).toBe(403);
      await response.body?.cancel();
    }
  });

  it('fits the burst of real clients starting (both eras, one credential), limits a flood per credential', async () => {
    const headers = { authorization: `Bearer ${API_KEY}` };
    // Two 2025 sessions and a 2026-07-28 client of one user start at once: handshakes, every list, a few calls.
    const started = await Promise.all([connect(gateway.mcpUrl, { headers }), connect(gateway.mcpUrl, { headers }), connect(gateway.mcpUrl, { headers, era: 'modern' })]);
    clients.push(...started);
    const start = (client: Client) => [
      client.listTools(),
      client.listResources(),
      client.listResourceTemplates(),
      client.listPrompts(),
      ...Array.from({ length: 5 }, (_, i) => client.callTool({ name: 'local__echo', arguments: { text: `call ${i}` } })),
    ];
    await Promise.all(started.flatMap(start));
    // Not one of them was refused (a client may retry a 429 by itself: the count tells).
    expect(await metricValue(gateway.url, 'mcp_rate_limited_total')).toBe(0);
    // A flood is cut off with 429 and Retry-After; another credential is not affected.
    const flood = await Promise.all(Array.from({ length: 80 }, () => mcpPost(gateway.mcpUrl, INITIALIZE, headers)));
    const limited = flood.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await Promise.all(flood.map((response) => response.body?.cancel()));
    const other = await mcpPost(gateway.mcpUrl, INITIALIZE, { authorization: `Bearer ${OTHER_API_KEY}` });
    expect(other.status).toBe(200);
    await other.body?.cancel();
  });
});
