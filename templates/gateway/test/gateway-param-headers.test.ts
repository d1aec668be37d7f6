import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpPost, modernRequest, readMessages, type TestServer } from './helpers.js';
import { connect, startGateway, stdioBackend, text } from './gateway-helpers.js';

/** A 2026-07-28 tools/call of `lookup` with the given arguments and extra headers. */
function callLookup(url: string, args: Record<string, unknown>, headers: Record<string, string>) {
  const request = modernRequest('tools/call', { name: 'lookup', arguments: args }, 7, 'lookup');
  return mcpPost(url, request.body, { ...request.headers, ...headers });
}

describe('Mcp-Param-* headers of a 2026-07-28 tools/call are checked like a server checks them', () => {
  let gateway: TestServer;
  beforeAll(async () => {
    // A stdio backend sees no HTTP headers: only the gateway can check them.
    const backend = stdioBackend('headers');
    gateway = await startGateway({ headers: { ...backend.entry, args: ['test/fixtures/header-tool-stdio.mjs', backend.tag], prefix: '' } });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it.each([
    ['missing', {}, 'Mcp-Param-Region', 'is absent'],
    ['different', { 'mcp-param-region': 'us-east' }, 'Mcp-Param-Region', 'decodes to "us-east"'],
    ['not canonical Base64', { 'mcp-param-region': '=?base64?ZXUtd2VzdA?=' }, 'Mcp-Param-Region', 'invalid Base64'],
    ['numerically different', { 'mcp-param-region': 'eu-west', 'mcp-param-limit': '4' }, 'Mcp-Param-Limit', 'decodes to "4"'],
  ])('a %s header is answered 400 with -32020 before the call runs', async (_case, headers, header, reason) => {
    const response = await callLookup(gateway.mcpUrl, { region: 'eu-west', limit: 5, key: 'k' }, headers);
    expect(response.status).toBe(400);
    const [message] = await readMessages(response);
    expect(message).toMatchObject({ id: 7, error: { code: -32020, data: { mismatch: { header } } } });
    expect((message!.error as { message: string }).message).toContain(reason);
  });

  it('matching headers (plain, Base64, the same number) are served', async () => {
    const response = await callLookup(gateway.mcpUrl, { region: 'eu-west', limit: 5, key: 'k' }, { 'mcp-param-region': '=?base64?ZXUtd2VzdA==?=', 'mcp-param-limit': '5.0' });
    expect(response.status).toBe(200);
    const [message] = await readMessages(response);
    expect(message).toMatchObject({ id: 7, result: { content: [{ type: 'text', text: 'k in eu-west' }] } });
    // An argument the call leaves out needs no header.
    const without = await callLookup(gateway.mcpUrl, { region: 'eu-west', key: 'k' }, { 'mcp-param-region': 'eu-west' });
    expect(without.status).toBe(200);
  });

  it("the SDK's 2026-07-28 client sends the headers itself; 2025 sessions are not checked", async () => {
    const modern = await connect(gateway.mcpUrl, { era: 'modern' });
    const legacy = await connect(gateway.mcpUrl);
    try {
      await modern.listTools();
      expect(text(await modern.callTool({ name: 'lookup', arguments: { region: 'eu-west', limit: 3, key: 'a' } }))).toBe('a in eu-west');
      expect(text(await legacy.callTool({ name: 'lookup', arguments: { region: 'eu-west', key: 'b' } }))).toBe('b in eu-west');
    } finally {
      await modern.close();
      await legacy.close();
    }
  });
});
