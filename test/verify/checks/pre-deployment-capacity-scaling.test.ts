import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, writeAll } from './helpers.js';

const ID = 'pre-deployment.capacity-scaling';

const SAM = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  McpFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: dist/lambda.handler
      Runtime: nodejs22.x
      MemorySize: 512
      Timeout: 35
      ReservedConcurrentExecutions: 50
      Events:
        Mcp:
          Type: HttpApi
`;

async function loadBalanced() {
  const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'], baseOnly: true });
  await writeAll(target, k8sBase());
  return target;
}

describe(ID, () => {
  it('is n/a for a single server', async () => {
    const result = await check(await project(), ID);
    expect(result.status).toBe('n/a');
  });

  it('passes Kubernetes manifests with requests, an HPA on the Deployment and a PDB below the replicas', async () => {
    const result = await check(await loadBalanced(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails when resource requests are missing', async () => {
    const target = await loadBalanced();
    await target.edit('k8s/base/deployment.yaml', (text) => text.replace(/ {12}requests:.*\n/, ''));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('resources.requests');
  });

  it('fails an HPA that targets something else', async () => {
    const target = await loadBalanced();
    await target.edit('k8s/base/hpa.yaml', (text) => text.replace('name: mcp-server }', 'name: mcp-gateway }'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('targets Deployment mcp-gateway');
  });

  it('fails a PDB that is not below the replica count', async () => {
    const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'], baseOnly: true });
    await writeAll(target, k8sBase({ minReplicas: 2, minAvailable: 2 }));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('requires 2 available pods with only 2 replicas');
  });

  it('fails without an HPA', async () => {
    const target = await loadBalanced();
    await target.remove('k8s/base/hpa.yaml');
    await target.edit('k8s/base/kustomization.yaml', (text) => text.replace('  - hpa.yaml\n', ''));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No HorizontalPodAutoscaler');
  });

  it('fails a replicated pattern with no capacity manifests at all', async () => {
    const result = await check(await project({ pattern: 'load-balanced', deploy: ['docker'] }), ID);
    expect(result.status).toBe('fail');
  });

  it('checks the SAM function settings for serverless', async () => {
    const target = await project({ pattern: 'serverless' });
    await target.write('template.yaml', SAM);
    const passing = await check(target, ID);
    expect(passing.status, messages(passing)).toBe('pass');
    await target.edit('template.yaml', (text) => text.replace('      MemorySize: 512\n', ''));
    const failing = await check(target, ID);
    expect(failing.status).toBe('fail');
    expect(messages(failing)).toContain('MemorySize');
  });
});
