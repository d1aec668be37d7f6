import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createMcpHandler, McpServer, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { openAggregator, parseServersConfig, type Aggregator } from '../src/aggregate/index.js';

/** Serves a server factory over Streamable HTTP on loopback, as a 2026-07-28 server only; returns its URL. */
async function serve(factory: () => McpServer | Server, servers: HttpServer[]): Promise<string> {
  const handler = createMcpHandler(factory, { legacy: 'reject' });
  const http = createServer(getRequestListener((request) => handler.fetch(request)));
  servers.push(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

/** The SDK's own server: it refuses a call whose `Mcp-Param-*` headers do not match the arguments the tool mirrors. */
function regions(): McpServer {
  const server = new McpServer({ name: 'regions', version: '1.0.0' });
  server.registerTool(
    'lookup',
    {
      description: 'Looks a key up in a region',
      inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }), key: z.string() }),
    },
    ({ region, key }) => ({ content: [{ type: 'text', text: `${key} in ${region}` }] }),
  );
  return server;
}

/** A server whose tool answers with structured content its own output schema does not allow. */
function careless(): Server {
  const server = new Server({ name: 'careless', version: '1.0.0' }, { capabilities: { tools: {} } });
  const outputSchema = { type: 'object' as const, properties: { count: { type: 'integer' } }, required: ['count'] };
  server.setRequestHandler('tools/list', () => ({ tools: [{ name: 'count', inputSchema: { type: 'object' as const }, outputSchema }] }));
  server.setRequestHandler('tools/call', () => ({ content: [{ type: 'text', text: 'many' }], structuredContent: { count: 'many' } }));
  return server;
}

describe('tool calls to 2026-07-28 servers over HTTP', () => {
  const servers: HttpServer[] = [];
  let aggregator: Aggregator;

  beforeAll(async () => {
    const config = { mcpServers: { r: { url: await serve(regions, servers) }, c: { url: await serve(careless, servers) } } };
    aggregator = await openAggregator({ servers: parseServersConfig(config, 'the test'), clientInfo: { name: 'http-test', version: '1.0.0' } });
  });
  afterAll(async () => {
    await aggregator?.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  it("carry the Mcp-Param-* headers the tool declares, made from the call's arguments (Base64 where the value needs it)", async () => {
    for (const region of ['eu-west', 'ü-west']) {
      const result = await aggregator.callTool('r__lookup', { region, key: 'k' });
      expect(result).toMatchObject({ content: [{ type: 'text', text: `k in ${region}` }] });
      expect(result.isError).toBeFalsy();
    }
  });

  it('pass a result on as the server sent it, structured content included, without checking it against the output schema', async () => {
    const result = await aggregator.callTool('c__count', {});
    expect(result).toMatchObject({ structuredContent: { count: 'many' } });
  });
});
