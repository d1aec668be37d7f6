import { describe, expect, it } from 'vitest';
import { toBlueprint } from '../../src/core/blueprint.js';
import type { ProjectOptions } from '../../src/core/options.js';
import { render } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';

const options: ProjectOptions = { name: 'edge', pattern: 'gateway', store: 'memory', deploy: ['docker'], authMode: 'apikey', sessionMode: 'stateful' };
const blueprint = toBlueprint(options, loadTemplates().catalog, '1.0.0');
const files = new Map(render(blueprint, loadTemplates()).map((f) => [f.path, String(f.contents)]));
const file = (path: string) => {
  const contents = files.get(path);
  if (contents === undefined) throw new Error(`${path} was not generated`);
  return contents;
};

describe('generated gateway project', () => {
  it('replaces the MCP layer with the gateway, on the shared aggregation core', () => {
    expect(file('src/mcp/layer.ts')).toMatch(/openAggregator/);
    for (const core of ['config', 'connection', 'backend', 'breaker', 'retry', 'namespace', 'catalog', 'session', 'index']) {
      expect(files.has(`src/aggregate/${core}.ts`), core).toBe(true);
    }
    expect(files.has('src/gateway/server.ts')).toBe(true);
    // The example tools stay: the suite serves them through a transparent gateway.
    expect(files.has('src/mcp/tools.ts')).toBe(true);
  });

  it('ships a servers file in the common mcpServers shape and the example backends it starts', () => {
    const servers = JSON.parse(file('gateway.config.json')) as { mcpServers: Record<string, { command?: string; args?: string[]; url?: string }> };
    const stdio = Object.values(servers.mcpServers).find((server) => server.command);
    expect(stdio?.args?.[0]).toBeDefined();
    expect(files.has(stdio!.args![0]!)).toBe(true);
    expect(files.has('examples/backends/http-backend.mjs')).toBe(true);
    // The image carries both, or the container would stop at start with "cannot read the servers file".
    expect(file('Dockerfile')).toMatch(/^COPY gateway\.config\.json \.\/$/m);
    expect(file('Dockerfile')).toMatch(/^COPY examples \.\/examples$/m);
  });

  it('documents the gateway variables and defaults to stateful sessions', () => {
    const env = file('.env.example');
    for (const name of ['GATEWAY_CONFIG', 'GATEWAY_PAGE_SIZE', 'GATEWAY_HEALTH_INTERVAL_MS', 'GATEWAY_BREAKER_THRESHOLD', 'GATEWAY_BREAKER_COOLDOWN_MS', 'REDIS_URL']) {
      expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(env).toMatch(/^SESSION_MODE=stateful$/m);
    expect(file('README.md')).toMatch(/## Gateway[\s\S]*gateway\.config\.json[\s\S]*circuit breaker/);
  });

  it('carries the gateway tests and pins ioredis for shared rate limits', () => {
    for (const test of ['test/gateway.test.ts', 'test/gateway-transparency.test.ts', 'test/aggregate-config.test.ts', 'test/aggregate-resilience.test.ts']) {
      expect(files.has(test), test).toBe(true);
    }
    const pkg = JSON.parse(file('package.json')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.ioredis).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
