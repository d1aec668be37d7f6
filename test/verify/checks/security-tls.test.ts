import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, writeAll } from './helpers.js';

const ID = 'security.tls';

describe(ID, () => {
  it('is n/a, never pass, on a plain local project', async () => {
    const result = await check(await project(), ID);
    expect(result.status).toBe('n/a');
    expect(result.summary).toContain('plain HTTP');
    expect(result.summary).toContain('--live');
  });

  it('passes an Ingress that terminates TLS for its hosts', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await writeAll(target, k8sBase());
    const result = await check(target, ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails an Ingress without tls', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await writeAll(target, k8sBase());
    await target.edit('k8s/base/ingress.yaml', (text) => text.replace(/ {2}tls:\n.*\n.*\n/, ''));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: 'k8s/base/ingress.yaml', line: 1 });
  });

  it('fails a host the tls section does not cover', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await writeAll(target, k8sBase());
    await target.edit('k8s/base/ingress.yaml', (text) =>
      text.replace('- host: mcp.example.com', '- host: api.example.com'),
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('serves api.example.com without TLS');
  });

  it('fails a Service exposed around the Ingress', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
    await writeAll(target, k8sBase());
    await target.edit('k8s/base/service.yaml', (text) => text.replace('spec:\n', 'spec:\n  type: LoadBalancer\n'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('exposed as LoadBalancer');
  });

  it('passes a Lambda behind an HTTPS-only HTTP API', async () => {
    const target = await project({ pattern: 'serverless' });
    await target.write(
      'template.yaml',
      'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Mcp:\n          Type: HttpApi\n',
    );
    const result = await check(target, ID);
    expect(result.status).toBe('pass');
  });
});
