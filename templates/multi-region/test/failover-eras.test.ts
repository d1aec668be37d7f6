import { createMcpHandler, McpServer, type McpHttpHandler } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RegionCallError } from '../src/client/errors.js';
import { RegionClient } from '../src/client/region-client.js';
import type { Protocol } from '../src/client/regions.js';

/**
 * The failover rule in each protocol era, with two regions served in-process by the SDK's
 * `createMcpHandler` (both eras on one endpoint) behind a fetch that can make a region refuse
 * connections (the request never left) or drop its answer after running the request (it may
 * have run): exactly what the rule tells apart.
 */
type Fault = 'none' | 'refuse' | 'drop-answer';

interface Region {
  name: string;
  handler: McpHttpHandler;
  fault: Fault;
  /** Every `append` this region ran. */
  appended: string[];
  /** JSON-RPC methods this region received, in order. */
  methods: string[];
}

function regionServer(region: Region): McpServer {
  const server = new McpServer({ name: 'region', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Names the region', inputSchema: z.object({}), annotations: { readOnlyHint: true } },
    async () => ({ content: [{ type: 'text', text: region.name }] }),
  );
  server.registerTool(
    'append',
    { description: 'Appends an entry (not idempotent)', inputSchema: z.object({ entry: z.string() }), annotations: { readOnlyHint: false, idempotentHint: false } },
    async ({ entry }) => {
      region.appended.push(entry);
      return { content: [{ type: 'text', text: `${region.name}: ${entry}` }] };
    },
  );
  return server;
}

function networkError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

const regions: Region[] = [];
const clients: RegionClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const region of regions.splice(0)) await region.handler.close();
});

function setup(protocol: Protocol): { near: Region; far: Region; client: RegionClient } {
  const make = (name: string): Region => {
    const region: Region = { name, handler: undefined as unknown as McpHttpHandler, fault: 'none', appended: [], methods: [] };
    region.handler = createMcpHandler(() => regionServer(region));
    regions.push(region);
    return region;
  };
  const near = make('near');
  const far = make('far');
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const region = regions.find((r) => url.hostname === `${r.name}.example.com`)!;
    if (region.fault === 'refuse') throw networkError('ECONNREFUSED');
    // The nearer region answers its health probe first.
    if (url.pathname === '/health') return new Promise<Response>((resolve) => setTimeout(() => resolve(Response.json({ status: 'ok', region: region.name })), region === near ? 1 : 150));
    const request = new Request(url, init);
    if (request.method === 'POST') region.methods.push((JSON.parse(await request.clone().text()) as { method?: string }).method ?? 'response');
    const response = await region.handler.fetch(request);
    if (region.fault === 'drop-answer') {
      // The region ran the request; its answer is lost on the way back.
      await response.text();
      throw networkError('ECONNRESET');
    }
    return response;
  }) as typeof fetch;
  const client = new RegionClient({
    regions: [near, far].map((r) => ({ name: r.name, url: `http://${r.name}.example.com/mcp`, healthUrl: `http://${r.name}.example.com/health` })),
    protocol,
    fetch: fakeFetch,
    probeSamples: 2,
    reprobeIntervalMs: 0,
  });
  clients.push(client);
  return { near, far, client };
}

const text = (result: { content: unknown }) => (result.content as Array<{ text?: string }>)[0]?.text;

describe.each([
  { protocol: 'auto' as const, era: 'modern' },
  { protocol: 'legacy' as const, era: 'legacy' },
])('failover in the $era era', ({ protocol, era }) => {
  it('connects to the nearest region in that era', async () => {
    const { near, client } = setup(protocol);
    expect(text(await client.callTool('whoami'))).toBe('near');
    expect(client.era).toBe(era);
    expect(near.methods[0]).toBe(era === 'modern' ? 'server/discover' : 'initialize');
  });

  it('repeats a read-only call in the next region when its answer was lost', async () => {
    const { near, far, client } = setup(protocol);
    await client.connect();
    near.fault = 'drop-answer';
    expect(text(await client.callTool('whoami'))).toBe('far');
    expect(client.region).toBe('far');
    expect(near.methods).toContain('tools/call');
    expect(far.methods).toContain('tools/call');
  });

  it('never repeats a call that may have run and is not idempotent: it fails, and the next call goes elsewhere', async () => {
    const { near, far, client } = setup(protocol);
    await client.connect();
    near.fault = 'drop-answer';
    const error = await client.callTool('append', { entry: 'once' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegionCallError);
    expect((error as Error).message).toMatch(/tools\/call append failed in region near .*may or may not have run there.*not annotated readOnlyHint or idempotentHint/);
    // It ran exactly once, in the region that failed; the other region never saw it.
    expect(near.appended).toEqual(['once']);
    expect(far.appended).toEqual([]);
    expect(text(await client.callTool('append', { entry: 'next' }))).toBe('far: next');
  });

  it('repeats even a non-idempotent call that never left: the region refused the connection', async () => {
    const { near, far, client } = setup(protocol);
    await client.connect();
    near.fault = 'refuse';
    expect(text(await client.callTool('append', { entry: 'safe' }))).toBe('far: safe');
    expect(near.appended).toEqual([]);
    expect(far.appended).toEqual(['safe']);
    // A 2025 region gets a session of its own; a 2026 one needs only its discovery.
    expect(far.methods[0]).toBe(era === 'modern' ? 'server/discover' : 'initialize');
  });
});
