import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources, unwire } from './helpers.js';

const ID = 'security.authentication';

describe(ID, () => {
  it('passes with AUTH_MODE=apikey and the auth middleware in the app', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a project generated with AUTH_MODE=none', async () => {
    const result = await check(await project({ authMode: 'none' }), ID);
    expect(result.status).toBe('fail');
    expect(result.findings.map((finding) => finding.file)).toEqual(
      expect.arrayContaining(['.env.example', 'mcp-arch.json']),
    );
  });

  it('fails when the app does not use the auth middleware', async () => {
    const target = await project();
    await unwire(target, 'auth');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('requests reach the tools unauthenticated');
  });

  it('fails a 401 without WWW-Authenticate', async () => {
    const target = await project();
    await target.edit('src/middleware/auth.ts', (text) => text.replace(/www-authenticate/gi, 'X-Auth-Hint'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('WWW-Authenticate');
  });

  it('fails JWT verification that ignores the audience', async () => {
    const target = await project();
    const [file] = await replaceInSources(target, /(jwtVerify\([^)]*?)\baudience\s*(?::\s*[\w.]+)?\s*,\s*/, '$1');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('does not check the token audience');
    expect(messages(result)).not.toContain('issuer');
    expect(result.findings[0]).toMatchObject({ file });
  });

  it('warns about a key shipped in .env.example', async () => {
    const target = await project();
    await target.edit('.env.example', (text) => text.replace(/^API_KEYS=.*$/m, 'API_KEYS=dev-key-123'));
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
  });
});
