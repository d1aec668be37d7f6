import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, writeAll } from './helpers.js';

const ID = 'pre-deployment.health-checks';

describe(ID, () => {
  it('passes with the routes and the Dockerfile HEALTHCHECK', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toContain('Dockerfile HEALTHCHECK');
  });

  it('fails without a Dockerfile HEALTHCHECK', async () => {
    const target = await project();
    await target.edit('Dockerfile', (text) => text.replace(/^HEALTHCHECK[^\n]*(?:\\\n[^\n]*)*\n/m, ''));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: 'Dockerfile' });
  });

  it('fails when liveness and readiness share a path', async () => {
    const target = await project();
    await target.writeManifest({ ...target.manifest, start: { ...target.manifest.start, readyPath: '/health' } });
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Liveness and readiness share /health');
  });

  it('fails when the readiness route is gone', async () => {
    const target = await project();
    await target.edit('src/app.ts', (text) => text.replace(/(['"`])\/ready\1/g, "'/readiness'"));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No GET /ready route');
  });

  it('checks Kubernetes probes when manifests exist', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await writeAll(target, k8sBase());
    const passing = await check(target, ID);
    expect(passing.status, messages(passing)).toBe('pass');
    expect(passing.summary).toContain('Kubernetes');
    await target.edit('k8s/base/deployment.yaml', (text) => text.replace(/ {10}readinessProbe:\n.*\n/, ''));
    const failing = await check(target, ID);
    expect(failing.status).toBe('fail');
    expect(messages(failing)).toContain('has no readinessProbe');
  });

  it('fails probes that hit the same path', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await writeAll(target, k8sBase());
    await target.edit('k8s/base/deployment.yaml', (text) => text.replace('path: /ready', 'path: /health'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('probe the same path');
  });

  it('is n/a for serverless functions with no container', async () => {
    const target = await project({ pattern: 'serverless' });
    await target.remove('Dockerfile').catch(() => undefined);
    const result = await check(target, ID);
    expect(result.status).toBe('n/a');
  });
});
