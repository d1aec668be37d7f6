import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/core/errors.js';
import { parseVerifyOptions } from '../../src/verify/options.js';
import { run, tempDir } from '../cli/run-bin.js';

/** The UserError `parseVerifyOptions` throws for `request`, to assert its message and exit code. */
function refusal(request: Parameters<typeof parseVerifyOptions>[0]): UserError {
  try {
    parseVerifyOptions(request);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('--replica', () => {
  it('takes http and https replicas behind --url, once each', () => {
    const target = parseVerifyOptions({
      url: 'https://mcp.example.com',
      replicas: ['http://10.0.0.11:3000', 'https://10.0.0.12:3000/mcp', 'http://10.0.0.11:3000'],
    });
    expect(target.replicas?.map((replica) => replica.href)).toEqual([
      'http://10.0.0.11:3000/',
      'https://10.0.0.12:3000/mcp',
    ]);
    // Idempotent: the target given back comes out the same.
    expect(parseVerifyOptions(target).replicas).toEqual(target.replicas);
  });

  it('is taken with --live too, and absent when none is given', () => {
    expect(parseVerifyOptions({ live: true, replicas: ['http://127.0.0.1:3001'] }).replicas).toHaveLength(1);
    expect(parseVerifyOptions({ url: 'http://127.0.0.1:3000', replicas: [] })).not.toHaveProperty('replicas');
  });

  it.each([
    [{ replicas: ['http://10.0.0.11:3000'] }, /--replica names a running replica to probe: pass --url/],
    [
      { url: 'http://127.0.0.1:3000', replicas: ['not a url'] },
      /--replica not a url is not a URL\. Pass e\.g\. --replica http:/,
    ],
    [
      { url: 'http://127.0.0.1:3000', replicas: ['ftp://10.0.0.11'] },
      /--replica ftp:\/\/10\.0\.0\.11 must be http:\/\/ or https:\/\//,
    ],
  ])('refuses %j with exit 2, naming the flag', (request, message) => {
    const error = refusal(request);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(EXIT.usage);
  });
});

describe('mcp-arch verify --replica', () => {
  const dir = tempDir('replica-');

  it('exits 2 naming the flag, before anything runs', async () => {
    const alone = await run('mcpArch', ['verify', '--dir', dir, '--replica', 'http://127.0.0.1:1']);
    expect(alone.exitCode).toBe(2);
    expect(alone.stderr).toMatch(/--replica names a running replica to probe: pass --url/);
    const bad = await run('mcpArch', ['verify', '--dir', dir, '--url', 'http://127.0.0.1:1', '--replica', 'nope']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--replica nope is not a URL/);
  });

  it('is listed in the help', async () => {
    const help = await run('mcpArch', ['verify', '--help']);
    expect(help.stdout).toMatch(/--replica <url>\s+a replica behind the --url load balancer/);
  });
});
