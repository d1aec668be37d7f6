import type { Client } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, waitFor, type TestServer } from './helpers.js';
import { connect, processesWith, startGateway, startHttpBackend, startSessionBackend, stdioBackend, text, type HttpBackend, type SessionBackend } from './gateway-helpers.js';

/** Clients a test opened; closed after it (without DELETE: the sessions stay on the gateway). */
const opened: Client[] = [];
const track = async (client: Promise<Client>) => {
  const ready = await client;
  opened.push(ready);
  return ready;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close().catch(() => {})));
});

const backendSessions = (gateway: TestServer, backend: string) => metricValue(gateway.url, 'mcp_backend_sessions', { backend });

/** Opens `count` 2025 sessions, `width` at a time, each running `use`; returns the clients. */
async function sessions(url: string, count: number, width: number, use: (client: Client, index: number) => Promise<unknown>): Promise<Client[]> {
  const clients: Client[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(width, count - start) }, async (_, offset) => {
        const client = await connect(url);
        await use(client, start + offset);
        return client;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

describe('list changes reach clients once per real change', () => {
  let http: HttpBackend;
  let gateway: TestServer;
  let tag: string;
  beforeAll(async () => {
    http = await startHttpBackend({ name: 'remote' });
    const announcing = stdioBackend('announcing');
    tag = announcing.tag;
    gateway = await startGateway({ remote: { url: http.url }, announcing: { ...announcing.entry, args: ['test/fixtures/announcing-stdio.mjs', tag] } });
  });
  afterAll(async () => {
    await gateway?.close();
    await http?.kill();
  });

  it('a new client session causes none for the others, in either era; a change of a backend causes one', async () => {
    const legacy: string[] = [];
    const modern: string[] = [];
    const watcher = await track(connect(gateway.mcpUrl, { setup: (c) => c.setNotificationHandler('notifications/tools/list_changed', () => void legacy.push('tools')) }));
    const listener = await track(connect(gateway.mcpUrl, { era: 'modern', setup: (c) => c.setNotificationHandler('notifications/tools/list_changed', () => void modern.push('tools')) }));
    const stream = await listener.listen({ toolsListChanged: true });
    try {
      expect(text(await watcher.callTool({ name: 'announcing__tool_1', arguments: {} }))).toBe('tool_1 ran');
      // Five clients come, each opening its own connection to the backend, which announces a change on each.
      await sessions(gateway.mcpUrl, 5, 5, async (client) => {
        opened.push(client);
        expect(text(await client.callTool({ name: 'announcing__tool_2', arguments: {} }))).toBe('tool_2 ran');
      });
      expect(processesWith(tag)).toBe(7);
      // Then a real change: it is announced once to each (the backend tells two connections of it).
      const changer = await track(connect(gateway.mcpUrl));
      await changer.callTool({ name: 'remote__add_tool', arguments: { name: 'first_new_tool' } });
      await waitFor(() => legacy.length > 0 && modern.length > 0);
      expect({ legacy: legacy.length, modern: modern.length }).toEqual({ legacy: 1, modern: 1 });
      // A second change (after anything late from the first) is announced once more.
      await changer.callTool({ name: 'remote__add_tool', arguments: { name: 'second_new_tool' } });
      await waitFor(() => legacy.length > 1 && modern.length > 1);
      expect({ legacy: legacy.length, modern: modern.length }).toEqual({ legacy: 2, modern: 2 });
      expect((await watcher.listTools()).tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['remote__first_new_tool', 'remote__second_new_tool']));
    } finally {
      await stream.close();
    }
  }, 60_000);
});

describe('backend sessions of clients that leave without ending their session', () => {
  let http: HttpBackend;
  let gateway: TestServer;
  let tag: string;
  const IDLE_MS = 1500;
  /** Client sessions dropped; the first STDIO_SESSIONS of them also use the stdio backend (a process each). */
  const SESSIONS = 1000;
  const STDIO_SESSIONS = 20;
  beforeAll(async () => {
    http = await startHttpBackend({ name: 'remote' });
    const local = stdioBackend('local');
    tag = local.tag;
    // Room for every session at once: what is measured is the idle release, not the limit (tested below).
    gateway = await startGateway({ remote: { url: http.url, maxSessions: SESSIONS + 100 }, local: local.entry }, { GATEWAY_SESSION_IDLE_MS: String(IDLE_MS) });
  });
  afterAll(async () => {
    await gateway?.close();
    await http?.kill();
  });

  it('are closed once idle: stdio processes and backend sessions return to where they were', async () => {
    const baseProcesses = processesWith(tag);
    expect(await backendSessions(gateway, 'remote')).toBe(0);
    // SESSIONS sessions over HTTP, the first STDIO_SESSIONS also over stdio, all dropped without DELETE.
    const opening = Date.now();
    const clients = await sessions(gateway.mcpUrl, SESSIONS, 50, async (client, index) => {
      expect(text(await client.callTool({ name: 'remote__echo', arguments: { text: `r${index}` } }))).toBe(`r${index}`);
      if (index < STDIO_SESSIONS) expect(text(await client.callTool({ name: 'local__echo', arguments: { text: `l${index}` } }))).toBe(`l${index}`);
    });
    const openedIn = Date.now() - opening;
    // The first sessions may already be idle and closing; the last ones were just used, and none is closed before it is idle.
    expect(await backendSessions(gateway, 'remote')).toBeGreaterThan(0);
    await Promise.all(clients.map((client) => client.close()));
    const dropped = Date.now();
    await waitFor(async () => processesWith(tag) === baseProcesses && (await backendSessions(gateway, 'remote')) === 0 && (await backendSessions(gateway, 'local')) === 0, {
      timeoutMs: IDLE_MS + 20_000,
      intervalMs: 100,
    });
    console.log(`${SESSIONS} sessions opened and used in ${openedIn} ms, dropped without DELETE: backend processes and sessions back at baseline ${Date.now() - dropped} ms later (idle time ${IDLE_MS} ms)`);
    // A session that comes back after its backends were closed gets fresh ones.
    const back = await track(connect(gateway.mcpUrl));
    expect(text(await back.callTool({ name: 'local__echo', arguments: { text: 'again' } }))).toBe('again');
    expect(processesWith(tag)).toBe(baseProcesses + 1);
  }, 180_000);
});

describe('a backend at its session limit', () => {
  let gateway: TestServer;
  let tag: string;
  beforeAll(async () => {
    const local = stdioBackend('local', { maxSessions: 2 });
    tag = local.tag;
    gateway = await startGateway({ local: local.entry }, { GATEWAY_SESSION_IDLE_MS: '600000' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refuses a burst with an error naming the limit while the sessions using it keep working; an idle one gives its slot up', async () => {
    const base = processesWith(tag);
    const [first, second] = await Promise.all([track(connect(gateway.mcpUrl)), track(connect(gateway.mcpUrl))]);
    const stop = new AbortController();
    // Both slots busy with calls in progress.
    const hanging = [first!, second!].map((client) => client.callTool({ name: 'local__hang', arguments: {} }, { signal: stop.signal, timeout: 60_000 }).catch((error: Error) => error.message));
    await waitFor(async () => (await backendSessions(gateway, 'local')) === 2, { timeoutMs: 15_000 });
    const burst = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const client = await track(connect(gateway.mcpUrl));
        return client.callTool({ name: 'local__echo', arguments: { text: 'x' } }).then(text, (error: Error) => error.message);
      }),
    );
    for (const answer of burst) expect(answer).toMatch(/Backend "local" has reached its limit of 2 sessions, all busy.*"maxSessions" of "local" in the servers file/);
    // The sessions holding the slots are served meanwhile.
    expect(text(await first!.callTool({ name: 'local__echo', arguments: { text: 'first' } }))).toBe('first');
    expect(text(await second!.callTool({ name: 'local__echo', arguments: { text: 'second' } }))).toBe('second');
    stop.abort();
    await Promise.all(hanging);
    // Now idle: a newcomer takes the slot of the one used least recently (first), which gets a slot back the same way.
    const newcomer = await track(connect(gateway.mcpUrl));
    expect(text(await newcomer.callTool({ name: 'local__echo', arguments: { text: 'new' } }))).toBe('new');
    expect(text(await first!.callTool({ name: 'local__echo', arguments: { text: 'first again' } }))).toBe('first again');
    expect(await backendSessions(gateway, 'local')).toBe(2);
    await waitFor(() => processesWith(tag) === base + 2, { timeoutMs: 10_000 });
  }, 60_000);
});

describe('an HTTP backend that restarts and answers 400 to the sessions it forgot', () => {
  let backend: SessionBackend;
  let gateway: TestServer;
  beforeAll(async () => {
    backend = await startSessionBackend();
    // No health check in between: the requests themselves must notice and recover.
    gateway = await startGateway({ forgetful: { url: backend.url, timeoutMs: 5000 } }, { GATEWAY_HEALTH_INTERVAL_MS: '600000' });
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it('is reconnected: the shared connection and a client session start new sessions, the calls go through once more, /ready recovers', async () => {
    const session = await track(connect(gateway.mcpUrl));
    const modern = await track(connect(gateway.mcpUrl, { era: 'modern' }));
    expect(text(await session.callTool({ name: 'forgetful__echo', arguments: { text: 'before' } }))).toBe('before');
    expect(text(await modern.callTool({ name: 'forgetful__echo', arguments: { text: 'before' } }))).toBe('before');
    await backend.restart();
    // Over the shared connection (a 2026-07-28 client), and over the session's own connection.
    expect(text(await modern.callTool({ name: 'forgetful__echo', arguments: { text: 'after' } }))).toBe('after');
    expect(text(await session.callTool({ name: 'forgetful__echo', arguments: { text: 'after' } }))).toBe('after');
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { status: string; checks: Record<string, { ok: boolean; state?: string }> };
    expect(ready).toMatchObject({ status: 'ready', checks: { 'backend:forgetful': { ok: true, state: 'ready' } } });
    expect(await metricValue(gateway.url, 'mcp_backend_circuit_breaker_state', { backend: 'forgetful' })).toBe(0);
  }, 60_000);
});
