import { describe, expect, it } from 'vitest';
import { ERA_VERSION } from '../../src/verify/runtime/eras.js';
import { eraRequest } from '../../src/verify/runtime/mcp.js';

describe('raw requests of each protocol era', () => {
  it('gives a 2026-07-28 request its _meta envelope and the routing headers that match its body', () => {
    const { body, headers } = eraRequest(
      'modern',
      3,
      'tools/call',
      { name: 'echo', arguments: { text: 'x' } },
      {
        traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
      },
    );
    const message = JSON.parse(body) as { id: number; method: string; params: Record<string, unknown> };
    expect(message).toMatchObject({ id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } });
    expect(message.params._meta).toMatchObject({
      'io.modelcontextprotocol/protocolVersion': ERA_VERSION.modern,
      'io.modelcontextprotocol/clientInfo': { name: 'mcp-arch-verify' },
      'io.modelcontextprotocol/clientCapabilities': {},
      traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
    });
    expect(headers).toEqual({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
    });
    expect(eraRequest('modern', 1, 'resources/read', { uri: 'note://current' }).headers['mcp-name']).toBe(
      'note://current',
    );
    expect(eraRequest('modern', 1, 'tools/list', {}).headers).not.toHaveProperty('mcp-name');
  });

  it('sends a 2025-era request as it was, with no envelope and no routing headers', () => {
    const { body, headers } = eraRequest('legacy', 2, 'tools/list', {});
    expect(JSON.parse(body)).toEqual({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect(headers).toEqual({});
    expect(ERA_VERSION.legacy).toBe('2025-11-25');
  });
});
