import { describe, expect, it } from 'vitest';
import { check, messages, project } from './helpers.js';

const ID = 'protocol.eras';

describe(ID, () => {
  it('passes a generated project whose configuration serves what its manifest promises', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toBe(
      'Protocol "dual": MCP 2026-07-28 and the 2025 era (2025-11-25); MCP_PROTOCOL agrees in src/config.ts, .env.example',
    );
  });

  it('passes a load-balanced project whose Compose file deploys the same posture', async () => {
    const result = await check(await project({ pattern: 'load-balanced', store: 'redis', deploy: ['compose'] }), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toContain('compose.yaml');
  });

  it('fails when .env.example serves another posture than the manifest promises', async () => {
    const target = await project();
    await target.edit('.env.example', (text) => text.replace(/^MCP_PROTOCOL=dual$/m, 'MCP_PROTOCOL=modern'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({
      file: '.env.example',
      line: expect.any(Number),
      message: '.env.example sets MCP_PROTOCOL=modern, but mcp-arch.json promises protocol "dual"',
    });
  });

  it('fails when Compose deploys another posture by default', async () => {
    const target = await project({ pattern: 'load-balanced', store: 'redis', deploy: ['compose'] });
    await target.edit('compose.yaml', (text) => text.replace(/\$\{MCP_PROTOCOL:-dual\}/g, '${MCP_PROTOCOL:-modern}'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(
      /compose\.yaml deploys with MCP_PROTOCOL=modern, but mcp-arch\.json promises protocol "dual"/,
    );
  });

  it('fails a modern project that asks for the sessionful 2025 leg', async () => {
    const target = await project();
    await target.writeManifest({ ...target.manifest, protocol: 'modern', sessionMode: 'stateful' });
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(
      /asks for the sessionful 2025 leg .* but protocol "modern" serves MCP 2026-07-28 only/,
    );
  });

  it('fails a project where nothing sets MCP_PROTOCOL', async () => {
    const silent = await project();
    await silent.edit('.env.example', (text) => text.replace(/^MCP_PROTOCOL=.*\n/m, ''));
    await silent.edit('src/config.ts', (text) => text.replace(/MCP_PROTOCOL:/g, 'MCP_POSTURE:'));
    const result = await check(silent, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/Nothing in the project sets MCP_PROTOCOL/);
  });
});
