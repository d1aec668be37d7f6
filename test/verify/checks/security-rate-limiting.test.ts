import { describe, expect, it } from 'vitest';
import { check, messages, project, unwire } from './helpers.js';

const ID = 'security.rate-limiting';

describe(ID, () => {
  it('passes with RATE_LIMIT_RPS and the limiter in the app', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails RATE_LIMIT_RPS=0', async () => {
    const target = await project();
    await target.edit('.env.example', (text) => text.replace(/^RATE_LIMIT_RPS=.*$/m, 'RATE_LIMIT_RPS=0'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]?.file).toBe('.env.example');
  });

  it('fails when the app does not use the limiter', async () => {
    const target = await project();
    await unwire(target, 'rate-limit');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('no request is ever limited');
  });

  it('fails a 429 without Retry-After', async () => {
    const target = await project();
    await target.edit('src/middleware/rate-limit.ts', (text) => text.replace(/retry-after/gi, 'X-Wait'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Retry-After');
  });

  it('warns when limits key on a spoofable X-Forwarded-For', async () => {
    const target = await project();
    await target.edit(
      'src/middleware/rate-limit.ts',
      (text) => `${text}\nexport const clientKey = (c) => c.req.header('x-forwarded-for') ?? 'anon';\n`,
    );
    const result = await check(target, ID);
    expect(['warn', 'fail']).toContain(result.status);
    expect(messages(result)).toContain('X-Forwarded-For');
  });
});
