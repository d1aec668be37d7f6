import { describe, expect, it } from 'vitest';
import { check, messages, project } from './helpers.js';

const ID = 'observability.alerting-rules';

describe(ID, () => {
  it('passes rules that read only emitted metrics', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a rule over a metric the app does not emit', async () => {
    const target = await project();
    await target.edit(
      'monitoring/alerts.yml',
      (text) =>
        `${text.trimEnd()}\n      - alert: Phantom\n        expr: rate(mcp_phantom_requests_total[5m]) > 1\n        labels:\n          severity: warning\n`,
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Rule Phantom reads mcp_phantom_requests_total');
    const finding = result.findings.find((entry) => entry.message.includes('Phantom'));
    expect(finding?.file).toBe('monitoring/alerts.yml');
    expect(
      await target.read('monitoring/alerts.yml').then((text) => text.split('\n')[(finding?.line ?? 0) - 1]),
    ).toContain('alert: Phantom');
  });

  it('fails a rule without expr', async () => {
    const target = await project();
    await target.edit(
      'monitoring/alerts.yml',
      (text) => `${text.trimEnd()}\n      - alert: Empty\n        labels:\n          severity: warning\n`,
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Rule Empty has no expr');
  });

  it('fails a file that does not parse', async () => {
    const target = await project();
    await target.write('monitoring/alerts.yml', 'groups:\n  - name: x\n    rules: [\n');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('does not parse');
  });

  it('fails when the rules file is missing', async () => {
    const target = await project();
    await target.remove('monitoring/alerts.yml');
    expect((await check(target, ID)).status).toBe('fail');
  });

  it('counts default process metrics only when the app collects them', async () => {
    const target = await project();
    await target.edit(
      'monitoring/alerts.yml',
      (text) =>
        `${text.trimEnd()}\n      - alert: EventLoopLag\n        expr: nodejs_eventloop_lag_p99_seconds > 0.5\n        labels:\n          severity: warning\n`,
    );
    expect((await check(target, ID)).status).toBe('pass');
    const files = ['src/observability/metrics.ts'];
    for (const file of files)
      await target.edit(file, (text) => text.replace(/collectDefaultMetrics\s*\([^)]*\)\s*;?/g, ''));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('nodejs_eventloop_lag_p99_seconds');
  });
});
