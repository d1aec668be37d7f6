import { Client, StreamableHTTPClientTransport, type FetchLike } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTE_URI } from '../src/mcp/tools.js';
import { API_KEY, startServer, waitFor, type TestServer } from './helpers.js';
import { eventsEnv, STORE, useEventServices, useStoreServices } from './store-env.js';
import { tempDir } from './own.js';

/**
 * Two replicas of this server in one process, sharing this project's store and its event bus,
 * behind a load balancer without affinity: a `subscriptions/listen` stream stays on the replica
 * that took it, while the calls that change what it listens to may land on any replica.
 */
useStoreServices();
useEventServices();
const work = tempDir('listen');

const owner = { authorization: `Bearer ${API_KEY}` };

/** Each HTTP request to the next replica in turn, as a balancer without affinity would; it notes which replica served which MCP method. */
function roundRobin(replicas: TestServer[]): { fetch: FetchLike; served: Array<{ method: string | null; replica: number }> } {
  const served: Array<{ method: string | null; replica: number }> = [];
  let next = 0;
  return {
    served,
    fetch: (_url, init) => {
      const replica = next++ % replicas.length;
      served.push({ method: new Headers(init?.headers).get('mcp-method'), replica });
      return fetch(replicas[replica]!.mcpUrl, init);
    },
  };
}

describe(`subscriptions/listen across two replicas sharing the ${STORE} store`, () => {
  let replicas: TestServer[] = [];

  beforeAll(async () => {
    const env = eventsEnv('listen', work);
    replicas = await Promise.all([0, 1].map(() => startServer({ AUTH_MODE: 'apikey', API_KEYS: API_KEY, RATE_LIMIT_RPS: '0', ...env })));
  });
  afterAll(() => Promise.all(replicas.map((replica) => replica.close())));

  it('delivers a change made through one replica to the stream another replica holds', async () => {
    const balancer = roundRobin(replicas);
    // subscriptions/listen belongs to the 2026-07-28 revision.
    const client = new Client({ name: 'listen-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL('http://balancer.invalid/mcp'), { requestInit: { headers: owner }, fetch: balancer.fetch }));
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => void updates.push(notification.params.uri));
    const subscription = await client.listen({ resourceSubscriptions: [NOTE_URI] });
    try {
      expect(subscription.honoredFilter).toEqual({ resourceSubscriptions: [NOTE_URI] });
      const holder = balancer.served.find(({ method }) => method === 'subscriptions/listen')!.replica;

      // Until a call lands on the replica that does not hold the stream (the next one, in turn).
      let calls = 0;
      while (!balancer.served.some(({ method, replica }) => method === 'tools/call' && replica !== holder) && calls < replicas.length) {
        calls += 1;
        const result = await client.callTool({ name: 'set_note', arguments: { text: `change ${calls}` } });
        expect(result.isError ?? false).toBe(false);
      }
      expect(balancer.served.filter(({ method, replica }) => method === 'tools/call' && replica !== holder)).toHaveLength(1);
      // One update per change, wherever it was made.
      await waitFor(() => updates.length >= calls);
      expect(updates).toEqual(Array.from({ length: calls }, () => NOTE_URI));
    } finally {
      await subscription.close();
      await client.close();
    }
  });
});
