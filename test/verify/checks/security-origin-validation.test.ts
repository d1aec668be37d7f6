import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources, unwire } from './helpers.js';

const ID = 'security.origin-validation';

describe(ID, () => {
  it('passes with an allow-list and the origin middleware in the app', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a wildcard ALLOWED_ORIGINS', async () => {
    const target = await project();
    await target.edit('.env.example', (text) => text.replace(/^ALLOWED_ORIGINS=.*$/m, 'ALLOWED_ORIGINS=*'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: '.env.example' });
    expect(result.findings[0]?.line).toBeGreaterThan(0);
  });

  it('fails when ALLOWED_ORIGINS is not documented', async () => {
    const target = await project();
    await target.edit('.env.example', (text) => text.replace(/^ALLOWED_ORIGINS=.*\n/m, ''));
    expect((await check(target, ID)).status).toBe('fail');
  });

  it('fails when the app does not use the origin middleware', async () => {
    const target = await project();
    await unwire(target, 'origin');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('is not used in src/app.ts');
  });

  it('fails a middleware that never answers 403', async () => {
    const target = await project();
    await target.edit('src/middleware/origin.ts', (text) => text.replace(/\b403\b/g, '400'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('never answers 403');
  });

  it('fails a deployed ConfigMap that allows any origin', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await target.write(
      'k8s/base/configmap.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mcp-server\ndata:\n  ALLOWED_ORIGINS: "*"\n',
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: 'k8s/base/configmap.yaml' });
  });

  it('fails code that falls back to any origin', async () => {
    const target = await project();
    // The generated config's fallback for an unset ALLOWED_ORIGINS (`?? []` or zod's `.default([])`) becomes any origin.
    await replaceInSources(target, /(ALLOWED_ORIGINS[^\n]*(?:\?\?|\.default\()\s*)\[\s*\]/, "$1['*']");
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('falls back to allowing any origin');
  });
});
