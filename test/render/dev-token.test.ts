import { createRemoteJWKSet, jwtVerify } from 'jose';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevIssuer, type DevIssuer } from '../../templates/auth-jwt/scripts/dev-token.js';
import { renderProject } from './rendered.js';

/** The local token helper that JWT projects' README sends users to, run from the template itself. */
describe('scripts/dev-token.ts of generated projects', () => {
  let issuer: DevIssuer;
  const audience = 'http://127.0.0.1:3000/mcp';

  beforeAll(async () => {
    issuer = await startDevIssuer({ audience });
  });
  afterAll(async () => issuer?.close());

  it('serves a JWKS on loopback that verifies its tokens with the issuer and audience it prints', async () => {
    const { settings } = issuer;
    expect(new URL(settings.JWT_JWKS_URL).hostname).toBe('127.0.0.1');
    const { payload } = await jwtVerify(
      await issuer.token({ subject: 'alice' }),
      createRemoteJWKSet(new URL(settings.JWT_JWKS_URL)),
      {
        issuer: settings.JWT_ISSUER,
        audience: settings.JWT_AUDIENCE,
      },
    );
    expect(payload).toMatchObject({ sub: 'alice', aud: audience });
  });

  it('gives tokens that fail verification when expired or meant for another audience', async () => {
    const keys = createRemoteJWKSet(new URL(issuer.settings.JWT_JWKS_URL));
    await expect(
      jwtVerify(await issuer.token({ ttlSeconds: -60 }), keys, { issuer: issuer.settings.JWT_ISSUER, audience }),
    ).rejects.toThrow(/exp/);
    await expect(
      jwtVerify(await issuer.token(), keys, { issuer: issuer.settings.JWT_ISSUER, audience: 'http://other/mcp' }),
    ).rejects.toThrow(/aud/);
  });

  it('prints the JWT_* settings and a token as a CLI, and names the flag on a bad value', async () => {
    const script = new URL('../../templates/auth-jwt/scripts/dev-token.ts', import.meta.url).pathname;
    // One process (no npx wrapper), so the signal that stops it reaches the script itself.
    const bad = await execa(process.execPath, ['--import', 'tsx', script, '--port', 'x'], {
      reject: false,
      timeout: 30_000,
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--port: expected a port number \(got x\)/);
    const cli = execa(process.execPath, ['--import', 'tsx', script, '--port', '0'], { reject: false, timeout: 30_000 });
    try {
      const printed = await new Promise<string>((resolve, reject) => {
        let out = '';
        cli.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (/^TOKEN=.+$/m.test(out)) resolve(out);
        });
        cli.once('exit', () => reject(new Error(`exited before printing a token: ${out}`)));
      });
      const lines = Object.fromEntries(
        printed
          .trim()
          .split('\n')
          .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      expect(Object.keys(lines)).toEqual(['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'TOKEN']);
      await jwtVerify(lines.TOKEN!, createRemoteJWKSet(new URL(lines.JWT_JWKS_URL!)), {
        issuer: lines.JWT_ISSUER,
        audience: lines.JWT_AUDIENCE,
      });
    } finally {
      cli.kill('SIGTERM');
    }
    // SIGTERM closes the JWKS server and exits 0.
    expect((await cli).exitCode).toBe(0);
  });

  it('ships in JWT projects only, documented with the JWT_* variables to set', () => {
    const jwt = renderProject({
      name: 'tok',
      pattern: 'single',
      store: 'memory',
      deploy: ['docker'],
      authMode: 'jwt',
      sessionMode: 'stateless',
      protocol: 'dual',
    });
    expect(jwt.file('scripts/dev-token.ts')).toMatch(/startDevIssuer/);
    const readme = jwt.file('README.md');
    expect(readme).toContain('npx tsx scripts/dev-token.ts');
    expect(readme).toMatch(/set\s+`JWT_JWKS_URL`, `JWT_ISSUER`, `JWT_AUDIENCE`/);
    expect(jwt.blueprint.variables.requiredEnv).toEqual(['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE']);
    for (const authMode of ['apikey', 'none'] as const) {
      const other = renderProject({
        name: 'tok',
        pattern: 'single',
        store: 'memory',
        deploy: ['docker'],
        authMode,
        sessionMode: 'stateless',
        protocol: 'dual',
      });
      expect(
        [...other.files.keys()].filter((path) => path.includes('dev-token')),
        authMode,
      ).toEqual([]);
      expect(other.file('README.md'), authMode).not.toContain('dev-token');
    }
  });
});
