import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServersConfig, parseServersConfig, ServersConfigError } from '../src/aggregate/index.js';
import { tempDir } from './own.js';

const parse = (json: unknown, env: Record<string, string> = {}) => parseServersConfig(json, 'servers.json', env);

describe('servers file', () => {
  it('reads HTTP and stdio servers with defaults and per-server options', () => {
    const config = parse(
      {
        mcpServers: {
          files: { url: 'http://127.0.0.1:4000/mcp', headers: { Authorization: 'Bearer ${FILES_TOKEN}' }, timeoutMs: 2000 },
          local: { command: 'node', args: ['server.js'], env: { MODE: 'x' }, prefix: '', enabled: false },
          other: { command: 'node', maxListPages: 500 },
        },
      },
      { FILES_TOKEN: 'secret-token' },
    );
    expect(config.servers.map((s) => [s.name, s.target.transport, s.prefix, s.timeoutMs, s.enabled, s.maxListPages])).toEqual([
      ['files', 'http', 'files', 2000, true, 64],
      ['local', 'stdio', '', 30000, false, 64],
      ['other', 'stdio', 'other', 30000, true, 500],
    ]);
    const files = config.servers[0]!.target;
    expect(files.transport === 'http' && files.headers.Authorization).toBe('Bearer secret-token');
  });

  it.each([
    [{}, /servers\.json: mcpServers: missing/],
    [{ mcpServers: {} }, /no servers configured/],
    [{ mcpServers: { a: { url: 'http://x', command: 'node' } } }, /mcpServers\.a: has both "url" and "command"/],
    [{ mcpServers: { a: {} } }, /mcpServers\.a: needs "url" \(Streamable HTTP\) or "command" \(stdio\)/],
    [{ mcpServers: { a: { url: 'not a url' } } }, /mcpServers\.a\.url: not a URL/],
    [{ mcpServers: { a: { url: 'ftp://host/x' } } }, /mcpServers\.a\.url: expected an http\(s\) URL/],
    [{ mcpServers: { a: { url: 'http://x', timeoutMs: 5 } } }, /mcpServers\.a\.timeoutMs: expected a whole number/],
    [{ mcpServers: { a: { url: 'http://x', maxListPages: 0 } } }, /mcpServers\.a\.maxListPages: expected a whole number of pages between 1 and 100000, got 0/],
    [{ mcpServers: { a: { url: 'http://x', maxListPages: '10' } } }, /mcpServers\.a\.maxListPages: expected a whole number/],
    [{ mcpServers: { a: { url: 'http://x', prefix: 'has space' } } }, /mcpServers\.a\.prefix/],
    [{ mcpServers: { 'bad name': { url: 'http://x' } } }, /mcpServers\.bad name: server names may only use/],
    [{ mcpServers: { a: { url: 'http://x', tiemout: 1 } } }, /mcpServers\.a\.tiemout: unknown field/],
    [{ mcpServers: { a: { command: 'node', args: [1] } } }, /mcpServers\.a\.args: expected an array of strings/],
    [{ mcpServers: { a: { url: 'http://x', enabled: false } } }, /enable at least one/],
    [{ mcpServers: { a: { url: 'http://x', headers: { Authorization: 'Bearer ${MISSING_TOKEN}' } } } }, /mcpServers\.a\.headers\.Authorization: uses \$\{MISSING_TOKEN\}, but the environment variable MISSING_TOKEN is not set/],
  ])('rejects %j with a message naming the field', (json, message) => {
    expect(() => parse(json)).toThrow(ServersConfigError);
    expect(() => parse(json)).toThrow(message);
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = tempDir('servers');
    await expect(loadServersConfig(join(dir, 'absent.json'))).rejects.toThrow(/absent\.json: cannot read the servers file \(ENOENT\)/);
    writeFileSync(join(dir, 'bad.json'), '{"mcpServers": ');
    await expect(loadServersConfig(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: not valid JSON/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ mcpServers: { a: { url: 'http://127.0.0.1:1/mcp' } } }));
    expect((await loadServersConfig(join(dir, 'ok.json'))).servers).toHaveLength(1);
  });
});
