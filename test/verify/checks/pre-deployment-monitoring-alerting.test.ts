import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, writeAll } from './helpers.js';

const ID = 'pre-deployment.monitoring-alerting';

describe(ID, () => {
  it('passes with a metrics route and alert rules', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails without monitoring/alerts.yml', async () => {
    const target = await project();
    await target.remove('monitoring/alerts.yml');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: 'monitoring/alerts.yml' });
  });

  it('fails without a metrics route', async () => {
    const target = await project();
    await target.edit('src/app.ts', (text) => text.replace(/(['"`])\/metrics\1/g, "'/stats'"));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No GET /metrics route');
  });

  it('fails a rules file with no alerting rule', async () => {
    const target = await project();
    await target.write(
      'monitoring/alerts.yml',
      'groups:\n  - name: recordings\n    rules:\n      - record: job:up:sum\n        expr: sum(up)\n',
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('defines no alerting rule');
  });

  it('warns when Kubernetes pods are not scraped', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'], baseOnly: true });
    await writeAll(target, k8sBase());
    await target.edit('k8s/base/deployment.yaml', (text) => text.replace(/ {6}annotations:\n.*\n.*\n/, ''));
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
    expect(messages(result)).toContain('Prometheus may never scrape the pods');
  });
});
