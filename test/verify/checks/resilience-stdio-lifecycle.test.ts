import { describe, expect, it } from 'vitest';
import { check, messages, project } from './helpers.js';

const ID = 'resilience.stdio-lifecycle';

/** The servers file with `maxSessions` on every stdio backend. */
function capped(text: string): string {
  const json = JSON.parse(text) as { mcpServers: Record<string, Record<string, unknown>> };
  for (const server of Object.values(json.mcpServers)) if (server.command) server.maxSessions = 8;
  return JSON.stringify(json, null, 2);
}

describe(ID, () => {
  it('passes the generated gateway, naming the cap of each stdio backend', async () => {
    const target = await project({ pattern: 'gateway' });
    const uncapped = await check(target, ID);
    expect(uncapped.status, messages(uncapped)).toBe('pass');
    expect(uncapped.summary).toBe(
      'Stdio backends (local in gateway.config.json: maxSessions not set, the default cap applies); unused sessions end after SESSION_IDLE_TIMEOUT_MS',
    );
    await target.edit('gateway.config.json', capped);
    const passed = await check(target, ID);
    expect(passed.status, messages(passed)).toBe('pass');
    expect(passed.summary).toContain('local in gateway.config.json: at most 8 processes');
  });

  it('reads the multi-server servers file', async () => {
    const target = await project({ pattern: 'multi-server' });
    await target.edit('mcp-servers.json', capped);
    const result = await check(target, ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toMatch(
      /^Stdio backends \(notes in mcp-servers\.json: at most 8 processes; text in mcp-servers\.json: at most 8 processes\)/,
    );
  });

  it('warns when nothing closes idle sessions', async () => {
    const target = await project({ pattern: 'gateway' });
    await target.edit('gateway.config.json', capped);
    await target.edit('.env.example', (text) => text.replace(/^SESSION_IDLE_TIMEOUT_MS=.*$/m, ''));
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
    expect(messages(result)).toContain('does not set SESSION_IDLE_TIMEOUT_MS');
  });

  it('is n/a when the servers file has no stdio backend', async () => {
    const target = await project({ pattern: 'gateway' });
    await target.write(
      'gateway.config.json',
      JSON.stringify({ mcpServers: { remote: { url: 'http://127.0.0.1:4100/mcp' } } }),
    );
    const result = await check(target, ID);
    expect(result.status).toBe('n/a');
    expect(result.summary).toContain('No stdio backend in gateway.config.json');
  });

  it('does not apply where no servers file runs backends', async () => {
    const result = await check(await project({ pattern: 'load-balanced' }), ID);
    expect(result.status).toBe('n/a');
  });
});
