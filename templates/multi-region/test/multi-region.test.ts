import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllRegionsDownError, RegionCallError } from '../src/client/errors.js';
import { RegionClient, type RegionEvent } from '../src/client/region-client.js';
import { parseRegions, type Protocol, type RegionsConfig } from '../src/client/regions.js';
import { API_KEY, startRegions, usesPostgres, type LocalRegions } from './regions-harness.js';
import { waitFor } from './helpers.js';

/**
 * Three regions of this server, each a real process with its own REGION, reached through a
 * proxy that adds latency: eu-west is the nearest although it is not listed first.
 */
const LAYOUT = [
  { name: 'us-east', delayMs: 60 },
  { name: 'eu-west', delayMs: 5 },
  { name: 'ap-southeast', delayMs: 30 },
];

const text = (result: { content: unknown }) => (result.content as Array<{ type: string; text?: string }>)[0]?.text;

/**
 * Both eras, each against its own three regions: a 2026-07-28 client of stateless regions (no
 * session: a failed request is simply sent to the next region), and a 2025 client of regions
 * keeping 2025 sessions (SESSION_MODE=stateful), where every new region means a new session.
 */
const ERAS: Array<{ era: 'modern' | 'legacy'; protocol: Protocol; env: Record<string, string>; title: string }> = [
  { era: 'modern', protocol: 'auto', env: { SESSION_MODE: 'stateless' }, title: '2026-07-28 client, stateless regions' },
  {
    era: 'legacy',
    protocol: 'legacy',
    // Both eras served, 2025 clients on sessions (whatever posture this project was generated with).
    env: { MCP_PROTOCOL: 'dual', SESSION_MODE: 'stateful' },
    title: `2025 client, sessions ${usesPostgres() ? 'in Postgres' : 'in SQLite per region'}`,
  },
];

describe.each(ERAS)('three local regions: $title', { timeout: 60_000 }, ({ era, protocol, env }) => {
  let local: LocalRegions;
  let client: RegionClient;
  let config: RegionsConfig;
  const events: Array<RegionEvent & { at: number }> = [];
  /** A 2025 connection is a session with an id; a 2026 one has none. */
  const expectSession = (id: string | undefined) => (era === 'legacy' ? expect(id).toBeTruthy() : expect(id).toBeUndefined());

  beforeAll(async () => {
    local = await startRegions(LAYOUT, env);
    config = parseRegions(
      {
        regions: local.regions.map((r) => ({ name: r.name, url: r.mcpUrl })),
        protocol,
        headers: { Authorization: 'Bearer ${MCP_API_KEY}' },
        timings: { probeTimeoutMs: 1000, probeSamples: 3, connectTimeoutMs: 3000, requestTimeoutMs: 5000, reprobeIntervalMs: 400, switchMarginMs: 10, coolDownMs: 200, maxCoolDownMs: 1000 },
      },
      'test regions',
      { MCP_API_KEY: API_KEY },
    );
    client = RegionClient.fromConfig(config, { onEvent: (event) => events.push({ ...event, at: performance.now() }) });
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await local?.stop();
  });

  it('measures every region and opens its session in the fastest one', async () => {
    expect(await client.connect()).toBe('eu-west');
    const ranking = client.status().filter((s) => s.healthy).sort((a, b) => a.latencyMs! - b.latencyMs!);
    expect(ranking.map((s) => s.name)).toEqual(['eu-west', 'ap-southeast', 'us-east']);
    // /health names the region each deployment was started with.
    expect(client.status().map((s) => s.reportedRegion)).toEqual(['us-east', 'eu-west', 'ap-southeast']);

    const result = await client.callTool('echo', { text: 'hello' });
    expect(text(result)).toBe('hello');
    expect(client.region).toBe('eu-west');
    expect(client.servedBy).toBe('eu-west');
    expect(client.era).toBe(era);
    expectSession(client.sessionId);
    expect(events).toContainEqual(expect.objectContaining({ type: 'connected', region: 'eu-west', era, reason: 'initial' }));
  });

  it('does not fail over on a tool error: the region answered', async () => {
    const session = client.sessionId;
    const result = await client.callTool('add', { a: 'not a number', b: 1 });
    expect(result.isError).toBe(true);
    expect(client.region).toBe('eu-west');
    expect(client.sessionId).toBe(session);
  });

  it('does not fail over when the caller cancels a call', async () => {
    const session = client.sessionId;
    const seen = events.length;
    const controller = new AbortController();
    const call = client.callTool('slow_count', { steps: 10, intervalMs: 100 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('changed my mind')), 150);
    await expect(call).rejects.toThrow(/changed my mind/);
    expect(client.region).toBe('eu-west');
    expect(client.sessionId).toBe(session);
    expect(events.slice(seen).filter((e) => e.type !== 'probed')).toEqual([]);
  });

  it('fails over when the region is killed between calls: the next call succeeds elsewhere', async () => {
    const before = client.sessionId;
    const killedAt = performance.now();
    await local.kill('eu-west');
    const result = await client.callTool('echo', { text: 'after the loss' });
    const failoverMs = performance.now() - killedAt;
    console.log(`[${era}] failover: region killed -> next successful call ${failoverMs.toFixed(0)} ms (new region ${client.region})`);

    expect(text(result)).toBe('after the loss');
    expect(client.region).toBe('ap-southeast');
    expect(client.servedBy).toBe('ap-southeast');
    expectSession(client.sessionId);
    // A 2025 session never crosses regions: the new region gave a new one.
    if (era === 'legacy') expect(client.sessionId).not.toBe(before);
    expect(events).toContainEqual(expect.objectContaining({ type: 'region-down', region: 'eu-west' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'connected', region: 'ap-southeast', reason: 'failover' }));
  });

  it('returns to the preferred region once it is back', async () => {
    await local.restart('eu-west');
    await waitFor(() => client.region === 'eu-west', { timeoutMs: 10_000, intervalMs: 50 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'connected', region: 'eu-west', reason: 'preferred-region' }));
    const result = await client.callTool('echo', { text: 'home again' });
    expect(text(result)).toBe('home again');
    expect(client.servedBy).toBe('eu-west');
  });

  it('fails over a call in flight when its region dies, without waiting for the request timeout', async () => {
    const started = performance.now();
    const call = client.callTool('slow_count', { steps: 10, intervalMs: 100 });
    await waitFor(() => local.get('eu-west').output().includes('"tool":"slow_count"') || performance.now() - started > 300, { timeoutMs: 5000 });
    const killedAt = performance.now();
    await local.kill('eu-west');
    const result = await call;
    const elapsed = performance.now() - killedAt;
    const detected = events.find((e) => e.type === 'region-down' && e.region === 'eu-west' && e.at >= killedAt);
    const reconnected = events.find((e) => e.type === 'connected' && e.region === 'ap-southeast' && e.at >= killedAt);
    console.log(
      `[${era}] failover of an in-flight call: region killed -> detected ${(detected!.at - killedAt).toFixed(0)} ms, ` +
        `connected elsewhere ${(reconnected!.at - killedAt).toFixed(0)} ms, call (10 x 100 ms of work) completed elsewhere ${elapsed.toFixed(0)} ms`,
    );
    expect(text(result)).toBe('Counted to 10');
    expect(client.region).toBe('ap-southeast');
    // Well under requestTimeoutMs (5 s): the broken stream, not the timeout, triggered the move.
    expect(elapsed).toBeLessThan(4000);
    await local.restart('eu-west');
    await waitFor(() => client.region === 'eu-west', { timeoutMs: 10_000, intervalMs: 50 });
  });

  it.runIf(era === 'legacy')('re-initializes in the same region when the 2025 session is gone (404)', async () => {
    const before = client.sessionId!;
    // The session ends behind the client's back, as after an expiry.
    const ended = await fetch(local.get('eu-west').mcpUrl, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}`, 'mcp-session-id': before } });
    expect(ended.status).toBe(200);

    const result = await client.callTool('echo', { text: 'new session' });
    expect(text(result)).toBe('new session');
    expect(client.region).toBe('eu-west');
    expect(client.sessionId).not.toBe(before);
    expect(events).toContainEqual(expect.objectContaining({ type: 'session-lost', region: 'eu-west', sessionId: before }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'connected', region: 'eu-west', reason: 'session-lost' }));
  });

  it('fails over when the region stops answering: the request times out and the call succeeds elsewhere', async () => {
    const impatient = RegionClient.fromConfig(config, { requestTimeoutMs: 800, probeTimeoutMs: 300, reprobeIntervalMs: 0 });
    try {
      expect(await impatient.connect()).toBe('eu-west');
      local.freeze('eu-west');
      const frozenAt = performance.now();
      const result = await impatient.callTool('echo', { text: 'anyone awake?' });
      const elapsed = performance.now() - frozenAt;
      console.log(`[${era}] failover on timeout: region hung -> call answered elsewhere after ${elapsed.toFixed(0)} ms (requestTimeoutMs 800)`);
      expect(text(result)).toBe('anyone awake?');
      expect(impatient.region).toBe('ap-southeast');
      expect(elapsed).toBeGreaterThanOrEqual(790);
      expect(impatient.status().find((s) => s.name === 'eu-west')).toMatchObject({ healthy: false, error: expect.stringMatching(/timed out/i) });
    } finally {
      local.thaw('eu-west');
      await impatient.close();
    }
    // The shared client may have seen eu-west hang too; it comes back once eu-west answers again.
    await waitFor(() => client.region === 'eu-west', { timeoutMs: 10_000, intervalMs: 50 });
  });

  it('with retries off, a call lost with its region fails clearly and the next call succeeds elsewhere', async () => {
    const strict = RegionClient.fromConfig(config, { retry: 'never', reprobeIntervalMs: 0 });
    try {
      expect(await strict.connect()).toBe('eu-west');
      // In flight when the region dies, so it surely reached the region (an idle client would
      // notice the loss first and simply connect elsewhere).
      const call = strict.callTool('slow_count', { steps: 10, intervalMs: 100 }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await local.kill('eu-west');
      const error = await call;
      expect(error).toBeInstanceOf(RegionCallError);
      expect((error as Error).message).toMatch(/tools\/call slow_count failed in region eu-west .* may or may not have run there; .*retries are off/);
      const result = await strict.callTool('echo', { text: 'next' });
      expect(text(result)).toBe('next');
      expect(strict.region).toBe('ap-southeast');
    } finally {
      await strict.close();
    }
  });

  it('says which regions failed and why when every region is down', async () => {
    for (const { name } of LAYOUT) await local.kill(name);
    const error = await client.callTool('echo', { text: 'anyone?' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllRegionsDownError);
    for (const { name } of LAYOUT) expect((error as Error).message).toContain(name);
    expect((error as Error).message).toMatch(/regions\.json/);
  });
});
