import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateErrorCode, openAggregator, type Aggregator } from '../src/aggregate/index.js';
import { loadAgentServers } from '../src/agent/servers.js';
import { isRunning, startLegacy, startUnits, stdioEntry, waitFor, writeServersFile, type UnitsProcess } from './servers-helpers.js';

/**
 * The aggregation library against real servers: units over Streamable HTTP (its own process),
 * notes and text over stdio (started by the library). One of them is killed mid-run.
 */
describe('aggregating several real MCP servers', { timeout: 60_000 }, () => {
  let units: UnitsProcess;
  let aggregator: Aggregator;
  const stderrLines: string[] = [];

  beforeAll(async () => {
    units = await startUnits();
    const file = writeServersFile({ units: { url: units.url, timeoutMs: 5000 }, notes: stdioEntry('notes'), text: stdioEntry('text') });
    aggregator = await openAggregator({
      servers: await loadAgentServers(file),
      clientInfo: { name: 'multi-server-test', version: '1.0.0' },
      // Fast health checks and a low threshold so the test sees the breaker and the reconnect quickly.
      healthIntervalMs: 200,
      failureThreshold: 2,
      cooldownMs: 500,
      reconnectMaxDelayMs: 300,
      logger: {
        debug: (obj: object) => {
          const line = (obj as { stderr?: string }).stderr;
          if (line) stderrLines.push(line);
        },
        info: () => {},
        warn: () => {},
        error: () => {},
      },
    });
  }, 60_000);

  afterAll(async () => {
    await aggregator?.close();
    await units?.kill();
  });

  it('connects to every server and lists their tools namespaced <server>__<tool>', async () => {
    expect(aggregator.status().map((s) => [s.name, s.transport, s.state])).toEqual([
      ['units', 'http', 'ready'],
      ['notes', 'stdio', 'ready'],
      ['text', 'stdio', 'ready'],
    ]);
    const names = (await aggregator.listTools()).map((tool) => tool.name).sort();
    expect(names).toEqual([
      'notes__add_note',
      'notes__delete_note',
      'notes__search_notes',
      'text__extract_urls',
      'text__slugify',
      'text__word_count',
      'units__convert',
      'units__list_units',
    ]);
    expect(names.every((name) => /^[A-Za-z0-9_.-]{1,128}$/.test(name))).toBe(true);
    expect(aggregator.collisions).toEqual([]);
  });

  it('calls one tool on each server and routes it to the right one', async () => {
    const converted = await aggregator.callTool('units__convert', { value: 2, from: 'kg', to: 'g' });
    expect(converted.structuredContent).toEqual({ value: 2000, unit: 'g' });
    const added = await aggregator.callTool('notes__add_note', { title: 'From the aggregator' });
    expect(added.isError).toBeFalsy();
    const counted = await aggregator.callTool('text__word_count', { text: 'one two three' });
    expect(counted.structuredContent).toMatchObject({ words: 3 });
  });

  it('aggregates capabilities: resources and prompts of every server, merged', async () => {
    expect(aggregator.capabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {} });
    const templates = await aggregator.listResourceTemplates();
    expect(templates.map((t) => t.uriTemplate)).toContain('note://{id}');
    const resources = await aggregator.listResources();
    const note = resources.find((r) => r.name === 'From the aggregator');
    expect(note).toBeDefined();
    const read = await aggregator.readResource(note!.uri);
    expect(JSON.stringify(read.contents)).toContain('# From the aggregator');
    const prompts = await aggregator.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('text__summarize');
    const prompt = await aggregator.getPrompt('text__summarize', { text: 'abc' });
    expect(JSON.stringify(prompt.messages)).toContain('abc');
  });

  it('keeps the others working when one server is killed, reports it down, and recovers when it is back', async () => {
    await units.kill();
    const failure = await aggregator.callTool('units__convert', { value: 1, from: 'm', to: 'cm' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
    // The others answer while units is gone.
    expect((await aggregator.callTool('text__slugify', { text: 'Still Here' })).structuredContent).toEqual({ slug: 'still-here' });
    expect((await aggregator.callTool('notes__search_notes', { query: 'aggregator' })).isError).toBeFalsy();
    await waitFor(() => aggregator.status().find((s) => s.name === 'units')?.state !== 'ready');
    const down = aggregator.status().find((s) => s.name === 'units')!;
    expect(['down', 'open']).toContain(down.state);
    // Down says why; an open breaker says enough by itself (consecutive failures).
    if (down.state === 'down') expect(down.lastError).toBeTruthy();
    // Calls to a server that is down fail fast with a clear error naming it.
    const started = performance.now();
    const fast = await aggregator.callTool('units__convert', { value: 1, from: 'm', to: 'cm' }).catch((error: { code?: number; message: string }) => error);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(fast).toMatchObject({ code: AggregateErrorCode.BackendUnavailable, message: expect.stringContaining('units') });
    expect((await aggregator.listTools()).some((tool) => tool.name.startsWith('units__'))).toBe(false);

    units = await startUnits(units.port);
    await waitFor(() => aggregator.status().find((s) => s.name === 'units')?.state === 'ready', { timeoutMs: 15_000 });
    await waitFor(async () => (await aggregator.callTool('units__convert', { value: 1, from: 'm', to: 'cm' }).catch(() => undefined))?.structuredContent !== undefined, { timeoutMs: 10_000 });
    expect((await aggregator.listTools()).filter((tool) => tool.name.startsWith('units__'))).toHaveLength(2);
  });

  it('stops the stdio servers it started when closed', async () => {
    const pids = stderrLines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as { msg?: string; pid?: number };
        return parsed.msg === 'serving MCP on stdio' && parsed.pid ? [parsed.pid] : [];
      } catch {
        return [];
      }
    });
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids.every(isRunning)).toBe(true);
    await aggregator.close();
    await waitFor(() => pids.every((pid) => !isRunning(pid)), { timeoutMs: 5000 });
  });
});

describe('collisions between servers', { timeout: 60_000 }, () => {
  it('detects two servers exposing the same name, serves the first and reports the clash', async () => {
    // Two text servers under one prefix: every tool name clashes.
    const file = writeServersFile({ text: stdioEntry('text'), copy: stdioEntry('text', { prefix: 'text' }), notes: stdioEntry('notes') });
    const aggregator = await openAggregator({ servers: await loadAgentServers(file), clientInfo: { name: 'collision-test', version: '1.0.0' } });
    try {
      const tools = await aggregator.listTools();
      expect(tools.filter((tool) => tool.name === 'text__word_count')).toHaveLength(1);
      const collision = aggregator.collisions.find((c) => c.name === 'text__word_count');
      expect(collision).toMatchObject({ kind: 'tool', kept: 'text', dropped: ['copy'] });
      expect(collision?.message).toMatch(/prefix/);
      expect((await aggregator.callTool('text__word_count', { text: 'a b' })).structuredContent).toMatchObject({ words: 2 });
    } finally {
      await aggregator.close();
    }
  });
});

describe('servers of either protocol era', { timeout: 60_000 }, () => {
  let modern: UnitsProcess;
  let legacy: UnitsProcess;
  let aggregator: Aggregator;

  beforeAll(async () => {
    // One server speaks only 2026-07-28, the other only 2025: the agent negotiates each (2026 first, 2025 fallback).
    [modern, legacy] = await Promise.all([startUnits(undefined, { MCP_PROTOCOL: 'modern' }), startLegacy()]);
    const file = writeServersFile({ units: { url: modern.url, timeoutMs: 5000 }, old: { url: legacy.url, timeoutMs: 5000 } });
    aggregator = await openAggregator({ servers: await loadAgentServers(file), clientInfo: { name: 'era-test', version: '1.0.0' }, healthIntervalMs: 200, reconnectMaxDelayMs: 300 });
  }, 60_000);

  afterAll(async () => {
    await aggregator?.close();
    await modern?.kill();
    await legacy?.kill();
  });

  it('the servers really speak one era each', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    // A 2025 opening to the modern-only server is refused with the unsupported-version error.
    const refused = await fetch(modern.url, { method: 'POST', headers, body: JSON.stringify(initialize) });
    expect(JSON.stringify(await refused.json())).toMatch(/-32022|2026-07-28/);
    // The 2025-only server knows nothing but initialize outside a session.
    const discover = await fetch(legacy.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} }) });
    expect(discover.status).toBe(400);
  });

  it('aggregates both and calls each in its own era', async () => {
    expect(aggregator.status().map((s) => [s.name, s.state])).toEqual([
      ['units', 'ready'],
      ['old', 'ready'],
    ]);
    expect((await aggregator.listTools()).map((tool) => tool.name).sort()).toEqual(['old__shout', 'units__convert', 'units__list_units']);
    expect((await aggregator.callTool('units__convert', { value: 1, from: 'km', to: 'm' })).structuredContent).toEqual({ value: 1000, unit: 'm' });
    expect((await aggregator.callTool('old__shout', { text: 'hi' })).structuredContent).toEqual({ text: 'HI' });
  });

  it('after a restart, reconnects to each: a new 2025 session, and 2026 requests that need none', async () => {
    await Promise.all([modern.kill(), legacy.kill()]);
    [modern, legacy] = await Promise.all([startUnits(modern.port, { MCP_PROTOCOL: 'modern' }), startLegacy(legacy.port)]);
    // The restarted 2025 server knows no session: the old one is gone, the aggregator opens a new one.
    await waitFor(async () => (await aggregator.callTool('old__shout', { text: 'back' }).catch(() => undefined))?.structuredContent !== undefined, { timeoutMs: 15_000 });
    await waitFor(async () => (await aggregator.callTool('units__convert', { value: 1, from: 'm', to: 'cm' }).catch(() => undefined))?.structuredContent !== undefined, { timeoutMs: 15_000 });
    expect((await aggregator.callTool('old__shout', { text: 'again' })).structuredContent).toEqual({ text: 'AGAIN' });
    expect((await aggregator.callTool('units__convert', { value: 3, from: 'm', to: 'cm' })).structuredContent).toEqual({ value: 300, unit: 'cm' });
  });
});
