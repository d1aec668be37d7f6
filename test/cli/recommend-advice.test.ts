import { describe, expect, it } from 'vitest';
import { run } from './run-bin.js';

describe('mcp-arch recommend: what the advice says about the answers', () => {
  it('prints the answers --yes assumed, in text and JSON', async () => {
    const text = await run('mcpArch', ['recommend', '--yes', '--domains', '2', '--platform', 'kubernetes']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/Assumed \(not answered\): one application connects, .*peak 10 req\/s/);
    expect(text.stdout).toMatch(/Deploy: runs on Kubernetes -> docker, k8s/);
    const json = JSON.parse((await run('mcpArch', ['recommend', '--yes', '--json', '--domains', '2'])).stdout);
    expect(json.assumed.map((a: { question: string }) => a.question)).toEqual([
      'consumers',
      'centralAuth',
      'peakRps',
      'concurrentSessions',
      'traffic',
      'serverToClient',
      'clients',
      'geography',
      'availability',
      'platform',
      'durability',
      'separateTeams',
    ]);
    expect(json.deploy).toEqual(['docker']);
  });

  it('names a conflict between the answers and the platform, with the flags to change, and still exits 0', async () => {
    const result = await run('mcpArch', ['recommend', '--yes', '--json', '--platform', 'lambda', '--server-to-client']);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ pattern: 'serverless', deploy: ['lambda'] });
    expect(json.conflicts).toEqual([
      expect.objectContaining({
        id: 'server-to-client-on-functions',
        change: expect.stringMatching(/--platform containers/),
      }),
    ]);
    expect(json.assumed.map((a: { question: string }) => a.question)).not.toContain('platform');
  });
});
