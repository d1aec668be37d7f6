import { describe, expect, it } from 'vitest';
import { check, messages, project, unwire } from './helpers.js';

const ID = 'security.authentication';

describe(ID, () => {
  it('passes with AUTH_MODE=apikey and the auth middleware in the app', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a project generated with AUTH_MODE=none', async () => {
    const result = await check(await project({ authMode: 'none' }), ID);
    expect(result.status).toBe('fail');
    expect(result.findings.map((finding) => finding.file)).toEqual(expect.arrayContaining(['.env.example', 'mcp-arch.json']));
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
    await target.write(
      'src/middleware/auth.ts',
      [
        "import { createRemoteJWKSet, jwtVerify } from 'jose';",
        'export function authenticate(config) {',
        '  const jwks = createRemoteJWKSet(new URL(config.jwksUrl));',
        '  return async (c, next) => {',
        "    try { await jwtVerify(c.req.header('authorization') ?? '', jwks, { issuer: config.issuer }); } catch {",
        "      c.header('WWW-Authenticate', 'Bearer'); return c.json({}, 401);",
        '    }',
        '    await next();',
        '  };',
        '}',
        '',
      ].join('\n'),
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('does not check the token audience');
    expect(messages(result)).not.toContain('issuer');
  });

  it('warns about a key shipped in .env.example', async () => {
    const target = await project();
    await target.edit('.env.example', (text) => text.replace(/^API_KEYS=.*$/m, 'API_KEYS=dev-key-123'));
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
  });
});
