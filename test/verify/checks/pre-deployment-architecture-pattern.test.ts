import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, writeAll } from './helpers.js';

const ID = 'pre-deployment.architecture-pattern';

describe(ID, () => {
  it('passes on a fresh single-server project', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails when the manifest deploys with docker but the Dockerfile is gone', async () => {
    const target = await project();
    await target.remove('Dockerfile');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: 'Dockerfile' });
    expect(result.findings[0]?.remediation).toContain('Dockerfile');
  });

  it('fails a single-server project whose Kubernetes manifests run replicas', async () => {
    const target = await project();
    await writeAll(target, k8sBase({ replicas: 3 }));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Deployment mcp-server runs 3 replicas');
    expect(messages(result)).toContain('HorizontalPodAutoscaler mcp-server scales out');
  });

  it('fails a single-server Compose file that runs replicas, but not several different programs', async () => {
    const target = await project();
    await target.write(
      'compose.yaml',
      'services:\n  api:\n    build: .\n  docs:\n    build: .\n    command: ["node", "dist/docs.js"]\n',
    );
    const programs = await check(target, ID);
    expect(programs.status, messages(programs)).toBe('pass');
    await target.write('compose.yaml', 'services:\n  api:\n    build: .\n    deploy:\n      replicas: 2\n');
    const replicas = await check(target, ID);
    expect(replicas.status).toBe('fail');
    expect(messages(replicas)).toContain('compose.yaml runs 2 instances');
  });

  it('fails a deploy target the pattern does not support', async () => {
    const target = await project({ deploy: ['docker', 'lambda'] });
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Deploy target lambda does not fit the single pattern');
    expect(messages(result)).toContain('template.yaml defines no function');
  });

  it('passes the generated gateway, and fails it without its gateway.config.json', async () => {
    const target = await project({ pattern: 'gateway', deploy: ['docker'] });
    const passing = await check(target, ID);
    expect(passing.status, messages(passing)).toBe('pass');
    await target.remove('gateway.config.json');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings.map((finding) => finding.file)).toContain('gateway.config.json');
  });

  it('warns when the manifest lists a checklist that does not match the pattern', async () => {
    const target = await project();
    await target.writeManifest({
      ...target.manifest,
      checks: target.manifest.checks.filter((id) => id !== 'security.tls'),
    });
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
    expect(messages(result)).toContain('missing security.tls');
  });
});
