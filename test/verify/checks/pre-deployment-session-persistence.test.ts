import { describe, expect, it } from 'vitest';
import { check, k8sBase, messages, project, replaceInSources, writeAll } from './helpers.js';

const ID = 'pre-deployment.session-persistence';

describe(ID, () => {
  it('passes a single server with the memory store', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toContain('one instance');
  });

  it('fails the memory store once the manifests run several replicas', async () => {
    const target = await project();
    await writeAll(target, k8sBase({ replicas: 3 }));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('memory store is per process');
    expect(messages(result)).toContain('replicas: 3');
  });

  it('fails stateful load-balanced replicas on the memory store', async () => {
    const result = await check(
      await project({ pattern: 'load-balanced', store: 'memory', sessionMode: 'stateful', deploy: ['docker'] }),
      ID,
    );
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('does not fit the load-balanced pattern');
    expect(messages(result)).toContain('several instances');
  });

  it('fails a store the code never connects to', async () => {
    const target = await project({ pattern: 'load-balanced', store: 'redis', deploy: ['docker'], baseOnly: true });
    const failing = await check(target, ID);
    expect(failing.status).toBe('fail');
    expect(messages(failing)).toContain('no source file imports a Redis client');
    await target.write(
      'src/session/redis.ts',
      "import { createClient } from 'redis';\nexport const client = createClient({ url: process.env.REDIS_URL });\n",
    );
    const passing = await check(target, ID);
    expect(passing.status, messages(passing)).toBe('pass');
    expect(passing.summary).toContain('several instances');
  });

  it('fails when the transport has no session setup', async () => {
    const target = await project();
    await replaceInSources(target, /sessionIdGenerator/, 'idFactory');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('sessionIdGenerator');
  });

  it('accepts the memory store for stateless serverless functions', async () => {
    const result = await check(await project({ pattern: 'serverless' }), ID);
    expect(result.status, messages(result)).toBe('pass');
  });
});
