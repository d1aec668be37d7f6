import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources } from './helpers.js';

const ID = 'resilience.health-checks';

describe(ID, () => {
  it('passes with liveness and a readiness that can report 503', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a readiness that never reports 503', async () => {
    const target = await project();
    await replaceInSources(target, /\b503\b/, '200');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('/ready never answers 503');
  });

  it('fails without a liveness route', async () => {
    const target = await project();
    await target.edit('src/app.ts', (text) => text.replace(/(['"`])\/health\1/g, "'/healthz'"));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No GET /health');
  });

  it('fails when readiness answers exactly like liveness', async () => {
    const target = await project();
    await target.edit(
      'src/app.ts',
      (text) =>
        `${text}\nexport function twin(app) {\n  app.get('/health', (c) => c.text('ok'));\n  app.get('/ready', (c) => c.text('ok'));\n}\n`,
    );
    // The first registration of each path wins, so put the twins first.
    await target.edit('src/app.ts', (text) =>
      text.replace(/(['"`])\/health\1/, "'/old-health'").replace(/(['"`])\/ready\1/, "'/old-ready'"),
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('answer the same way');
  });
});
