import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources } from './helpers.js';

const ID = 'observability.metrics';

describe(ID, () => {
  it('passes with a metrics route and registered, updated metrics', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toMatch(/_total/);
  });

  it('fails without the metrics route', async () => {
    const target = await project();
    await target.edit('src/app.ts', (text) => text.replace(/(['"`])\/metrics\1/g, "'/stats'"));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No GET /metrics route');
  });

  it('fails without prom-client', async () => {
    const target = await project();
    await replaceInSources(target, /['"]prom-client['"]/, "'./no-metrics.js'");
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('prom-client is not imported');
  });

  it('warns about a metric nothing updates', async () => {
    const target = await project();
    await target.write(
      'src/observability/extra.ts',
      "import { Counter } from 'prom-client';\nexport const idle = new Counter({ name: 'mcp_idle_total', help: 'never moves' });\n",
    );
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
    expect(result.findings[0]).toMatchObject({ file: 'src/observability/extra.ts', line: 2 });
  });
});
