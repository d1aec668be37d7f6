import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, writeAll } from './helpers.js';

const ID = 'resilience.session-survival';

describe(ID, () => {
  it('passes load-balanced replicas that share sessions through Redis', async () => {
    const result = await check(await project({ pattern: 'load-balanced', store: 'redis' }), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toMatch(
      /^Up to 10 instances \(the load-balanced pattern runs 3 replicas.*\) share sessions through the redis store$/,
    );
  });

  it('passes stateless functions on the memory store: nothing to share', async () => {
    const result = await check(await project({ pattern: 'serverless' }), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toMatch(/keep no session state between requests \(stateless\)$/);
  });

  it('is n/a for a gateway that runs one instance', async () => {
    const result = await check(await project({ pattern: 'gateway', store: 'memory' }), ID);
    expect(result.status).toBe('n/a');
    expect(result.summary).toContain('runs one instance');
  });

  it('is n/a for a pattern that never runs several instances', async () => {
    const result = await check(await project({ pattern: 'single' }), ID);
    expect(result.status).toBe('n/a');
    expect(result.summary).toContain('Does not apply to the single pattern');
  });

  it('fails the memory store under several declared replicas', async () => {
    const result = await check(
      await project({ pattern: 'load-balanced', store: 'memory', sessionMode: 'stateful', deploy: ['docker'] }),
      ID,
    );
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/memory store is per process, but up to 3 instances are declared/);
    expect(result.findings[0]?.file).toBe('mcp-arch.json');
  });

  it('fails the memory store once a Kubernetes Deployment of a replicated pattern asks for several', async () => {
    const target = await project({ pattern: 'gateway', store: 'memory' });
    await writeAll(target, k8sBase({ replicas: 2 }));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('replicas: 2');
  });
});
