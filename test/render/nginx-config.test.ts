import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectOptions } from '../../src/core/options.js';
import { renderProject as rendered } from './rendered.js';

/**
 * nginx itself checks the generated nginx configs (`nginx -t`). It needs the nginx binary, so this
 * file runs with the end-to-end tests (whose environment check requires nginx), not the unit tests.
 */
const project = (options: Partial<ProjectOptions>) =>
  rendered({
    name: 'edge',
    pattern: 'gateway',
    store: 'redis',
    deploy: ['docker', 'compose', 'k8s'],
    authMode: 'apikey',
    sessionMode: 'stateful',
    protocol: 'dual',
    ...options,
  }).files;
const nginx = process.env.NGINX_BIN ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');

describe('nginx config of the gateway project', () => {
  it('nginx -t accepts the one-upstream config of the memory store (the other one is the load-balanced config)', () => {
    const redis = project({ store: 'redis' }).get('deploy/nginx/nginx.conf')!;
    const lb = project({ pattern: 'load-balanced' }).get('deploy/nginx/nginx.conf')!;
    expect(redis.replace(/^# .*\n/gm, '')).toBe(lb.replace(/^# .*\n/gm, ''));
    const dir = mkdtempSync(join(tmpdir(), 'gateway-nginx-'));
    try {
      const check = (config: string) => {
        mkdirSync(join(dir, 'logs'), { recursive: true });
        const file = join(dir, 'nginx.conf');
        // The compose service names do not resolve here: point them at loopback, keep files in the temp dir.
        writeFileSync(
          file,
          config
            .replace(/server app-(\d):/g, 'server 127.0.0.$1:')
            .replaceAll('/tmp/', `${dir}/`)
            .replace('access_log /dev/stdout json;', 'access_log off;'),
        );
        return execFileSync(nginx, ['-t', '-p', dir, '-c', file], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      };
      const memory = project({ store: 'memory', deploy: ['docker', 'compose'] }).get('deploy/nginx/nginx.conf')!;
      expect(() => check(memory)).not.toThrow();
      expect(() => check(memory.replace('upstream mcp_replicas {', 'upstream mcp_replicas {\n    sticky;'))).toThrow(
        /sticky/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
