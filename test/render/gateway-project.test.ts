import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectOptions } from '../../src/core/options.js';
import { verify } from '../../src/verify/index.js';
import { renderProject } from './rendered.js';

const options: ProjectOptions = {
  name: 'edge',
  pattern: 'gateway',
  store: 'memory',
  deploy: ['docker'],
  authMode: 'apikey',
  sessionMode: 'stateful',
  protocol: 'dual',
};
const { files, file } = renderProject(options);

describe('generated gateway project', () => {
  it('replaces the MCP layer with the gateway, on the shared aggregation core', () => {
    expect(file('src/mcp/layer.ts')).toMatch(/openAggregator/);
    for (const core of [
      'config',
      'connection',
      'backend',
      'breaker',
      'retry',
      'namespace',
      'catalog',
      'session',
      'index',
    ]) {
      expect(files.has(`src/aggregate/${core}.ts`), core).toBe(true);
    }
    expect(files.has('src/gateway/server.ts')).toBe(true);
    // The base layer's example tools are never run by a gateway: the project does not hold them.
    for (const unused of ['src/mcp/server.ts', 'src/mcp/tools.ts', 'src/mcp/tool-runner.ts'])
      expect(files.has(unused), unused).toBe(false);
    for (const [path, text] of files)
      expect(text, path).not.toMatch(/mcp\/(?:server|tools|tool-runner)(?:\.js|\.ts)\b/);
  });

  it('tests the suite written for the example tools through the gateway, against a backend it ships', () => {
    const servers = JSON.parse(file('test/fixtures/example-tools.json')) as {
      mcpServers: Record<string, { command: string; args: string[]; prefix?: string }>;
    };
    const [backend] = Object.values(servers.mcpServers);
    // One backend with an empty prefix: the suite passes only if the gateway is transparent.
    expect(backend?.prefix).toBe('');
    const script = backend!.args.find((arg) => arg.startsWith('test/'));
    expect(files.has(script!), script).toBe(true);
    expect(file(script!)).toMatch(/registerTool\(\s*'slow_count'/);
    // The config's one variable, and the longer limit its suites ask for (the base asks for 15 s).
    expect(file('vitest.config.ts')).toMatch(
      /\n {4}env: \{\n {6}\/\/ .*\n {6}GATEWAY_CONFIG: 'test\/fixtures\/example-tools\.json',\n {4}\},\n/,
    );
    expect(file('vitest.config.ts')).toMatch(/testTimeout: 20000,\n {4}hookTimeout: 20000,/);
  });

  it('ships a servers file in the common mcpServers shape and the example backends it starts', () => {
    const servers = JSON.parse(file('gateway.config.json')) as {
      mcpServers: Record<string, { command?: string; args?: string[]; url?: string }>;
    };
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
    for (const name of [
      'GATEWAY_CONFIG',
      'GATEWAY_PAGE_SIZE',
      'GATEWAY_HEALTH_INTERVAL_MS',
      'GATEWAY_BREAKER_THRESHOLD',
      'GATEWAY_BREAKER_COOLDOWN_MS',
      'GATEWAY_SESSION_IDLE_MS',
    ]) {
      expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(env).toMatch(/^SESSION_MODE=stateful$/m);
    expect(file('README.md')).toMatch(/## Gateway[\s\S]*gateway\.config\.json[\s\S]*circuit breaker/);
  });

  it('carries the gateway tests, and the Redis client for shared rate limits only on the Redis store', () => {
    for (const test of [
      'test/gateway.test.ts',
      'test/gateway-transparency.test.ts',
      'test/aggregate-config.test.ts',
      'test/aggregate-resilience.test.ts',
    ]) {
      expect(files.has(test), test).toBe(true);
    }
    const dependencies = (project: { file(path: string): string }) =>
      (JSON.parse(project.file('package.json')) as { dependencies: Record<string, string> }).dependencies;
    expect(dependencies({ file }).ioredis).toBeUndefined();
    expect(file('.env.example')).not.toMatch(/^REDIS_URL=/m);
    const onRedis = renderProject({ ...options, store: 'redis', deploy: ['docker', 'compose'] });
    expect(dependencies(onRedis).ioredis).toMatch(/^\d+\.\d+\.\d+$/);
    expect(onRedis.file('.env.example')).toMatch(/^REDIS_URL=/m);
    expect(onRedis.files.has('src/rate-limit/redis.ts')).toBe(true);
  });
});

/** Renders a gateway project with these options into a temp dir and runs the static checklist on it. */
async function verifiedGateway(overrides: Partial<ProjectOptions>) {
  const { files: rendered } = renderProject({ ...options, ...overrides });
  const dir = mkdtempSync(join(tmpdir(), 'gateway-verify-'));
  try {
    for (const [path, contents] of rendered) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), contents);
    }
    const report = await verify({ dir, clock: () => 0 });
    return { files: rendered, status: Object.fromEntries(report.results.map((r) => [r.id, r.status])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('gateway deploy targets', () => {
  it('with Redis, compose and Kubernetes pass the whole static checklist: capacity planned, sessions shared', async () => {
    const { files: generated, status } = await verifiedGateway({
      store: 'redis',
      deploy: ['docker', 'compose', 'k8s'],
    });
    expect(status['pre-deployment.capacity-scaling']).toBe('pass');
    expect(status['pre-deployment.session-persistence']).toBe('pass');
    expect(status['pre-deployment.architecture-pattern']).toBe('pass');
    expect(Object.entries(status).filter(([, s]) => s === 'fail' || s === 'warn' || s === 'skip')).toEqual([]);
    const readme = generated.get('README.md')!;
    expect(readme).toMatch(
      /### Deploy[\s\S]*three gateway replicas[\s\S]*ConfigMap `edge-servers`[\s\S]*stdio backends run inside the\s+gateway's container/,
    );
  });

  it('with the memory store, compose runs one gateway and passes', async () => {
    const compose = await verifiedGateway({ store: 'memory', deploy: ['docker', 'compose'] });
    expect(compose.status['pre-deployment.session-persistence']).toBe('pass');
    expect(compose.status['pre-deployment.capacity-scaling']).toBe('pass');
    expect(compose.files.get('README.md')).toMatch(/runs one gateway \(`app-1`\)[\s\S]*generate with `--store redis`/);
    expect(compose.files.get('README.md')).toMatch(/compose: gateway, example backend, nginx/);
    expect(compose.files.get('README.md')).not.toMatch(/compose.yaml` runs[^.]*three replicas/);
  });

  it('a docker-only gateway warns on capacity and its README points to the replicated targets', async () => {
    const { files: generated, status } = await verifiedGateway({ deploy: ['docker'] });
    expect(status['pre-deployment.capacity-scaling']).toBe('warn');
    expect(generated.get('README.md')).toMatch(/Add `--deploy compose` or `--deploy k8s`/);
    expect([...generated.keys()].some((path) => path === 'compose.yaml' || path.startsWith('deploy/'))).toBe(false);
  });
});
