import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject, renderWith } from '../../src/evolve/project.js';
import type { PatternOptions } from '../../src/patterns/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { ROOT, run } from '../cli/run-bin.js';
import { editForChain, expectEvolved, type UserEdits } from '../evolve/edits.js';
import { commitAll, read } from '../evolve/helpers.js';
import { installDependencies, npmOk, ownTests } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';
import { SUITE_PROJECTS, VERCEL_SERVER, type SuiteProject } from './projects.js';

/**
 * A user's path through `mcp-arch add` and `migrate`, as chains of steps on one generated project
 * each: the project is generated, edited (a new tool, a changed setting, an edited README
 * paragraph, a file of its own) and committed; then every step runs and is checked exactly (the
 * tree is the new options' rendering plus the edits). Every chain then installs the project,
 * type-checks it, runs its own tests (unless another end-to-end file runs them for the same
 * options) and verify, and uses the feature.
 */
const work = mkdtempSync(join(tmpdir(), 'e2e-evolve-'));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const API_KEY = 'e2e-key-0123456789abcdef';
const templates = loadTemplates();
let node24: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  node24 = await nodeBinDir(24);
});

/** One `mcp-arch` step: the options it changes, or the config file it writes a line of (a backend, a region). */
interface Step {
  args: string[];
  change?: Partial<PatternOptions>;
  config?: { path: string; text: string };
}

interface Chain {
  name: string;
  generate: string[];
  steps: Step[];
  /** The environment of the project's own tests (its stores). */
  env?: Record<string, string>;
  /** Uses or inspects what the chain added, on the installed project. */
  works?: (dir: string) => Promise<void>;
  /**
   * The project of another end-to-end file whose own suite runs for the options this chain ends
   * on. The chain checks that its options are those, and leaves the suite to that file: every
   * step was checked exactly against the rendering of its options, so the same suite would prove
   * the same program again. `works` then proves the edits and what the chain added, in use.
   */
  suiteRunBy?: SuiteProject;
}

async function optionsAt(dir: string): Promise<PatternOptions> {
  return (await loadProject(dir)).options;
}

async function expectVerified(dir: string): Promise<void> {
  const result = await run('mcpArch', ['verify', 'checklist', '--dir', dir, '--format', 'json']);
  expect(result.stdout, `verify printed no report (exit ${result.exitCode}): ${result.stderr}`).not.toBe('');
  const failed = JSON.parse(result.stdout).results.filter((r: { status: string }) => r.status === 'fail');
  expect(result.exitCode, JSON.stringify(failed, null, 2)).toBe(0);
}

/** Generates, edits and commits the project, then runs each step with its exact check. */
async function evolveChain(chain: Chain): Promise<{ dir: string; edits: UserEdits }> {
  const generated = await run(
    'mcpArch',
    ['generate', chain.name, ...chain.generate, '--yes', '--no-install', '--no-git'],
    { cwd: work },
  );
  expect(generated.exitCode, generated.stderr).toBe(0);
  const dir = join(work, chain.name);
  const options = [await optionsAt(dir)];
  for (const step of chain.steps) options.push({ ...options.at(-1)!, ...step.change });
  const renderings = options.map((each) => renderWith(each, templates));
  const edits = editForChain(dir, renderings);
  await commitAll(dir);
  for (const [index, step] of chain.steps.entries()) {
    const result = await run('mcpArch', [...step.args, '--dir', dir, '--yes']);
    const what = `${chain.name}: mcp-arch ${step.args.join(' ')}`;
    expect(result.exitCode, `${what}\n${result.stderr}${result.stdout}`).toBe(0);
    if (step.config) {
      expect(read(dir, step.config.path), what).toContain(step.config.text);
      edits.kept[step.config.path] = step.config.text;
    }
    expectEvolved(dir, renderings[index]!, renderings[index + 1]!, edits);
    expect(await optionsAt(dir), what).toEqual(options[index + 1]);
    await commitAll(dir);
  }
  return { dir, edits };
}

/** The options `mcp-arch generate` gives for `args`, from a project it generates next to the chains. */
async function optionsFor(name: string, args: readonly string[]): Promise<PatternOptions> {
  const generated = await run('mcpArch', ['generate', name, ...args, '--yes', '--no-install', '--no-git'], {
    cwd: work,
  });
  expect(generated.exitCode, generated.stderr).toBe(0);
  return optionsAt(join(work, name));
}

/** The expensive proof, once per chain: install, type-check, the project's own tests, verify, the feature used. */
async function proveChain(chain: Chain): Promise<void> {
  const { dir } = await evolveChain(chain);
  await installDependencies(dir, node24);
  await npmOk(dir, ['run', 'typecheck'], node24);
  if (chain.suiteRunBy) {
    const options = await optionsFor(`${chain.name}-as-generated`, SUITE_PROJECTS[chain.suiteRunBy]);
    expect({ ...(await optionsAt(dir)), name: '' }, `the options of the ${chain.suiteRunBy} project`).toEqual({
      ...options,
      name: '',
    });
  } else {
    const { report } = await ownTests(dir, node24, { REDIS_URL, DATABASE_URL, ...chain.env });
    expect(report.numFailedTests).toBe(0);
  }
  await expectVerified(dir);
  await chain.works?.(dir);
}

/**
 * Starts the built server (`entry`, dist/index.js unless named) with API key authentication and
 * `env`, calls the tool the user added with the key, and stops it.
 */
async function callShout(dir: string, env: Record<string, string> = {}, entry = 'dist/index.js'): Promise<void> {
  const port = await freePort();
  const server = execa(join(node24, 'node'), [entry], {
    cwd: dir,
    env: envWithNode(node24, { PORT: String(port), HOST: '127.0.0.1', AUTH_MODE: 'apikey', API_KEYS: API_KEY, ...env }),
    reject: false,
    stdin: 'ignore',
  });
  try {
    await waitForHealth(`http://127.0.0.1:${port}/health`, server);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
      }),
    );
    const result = await client.callTool({ name: 'shout', arguments: { text: 'kept across the steps' } });
    expect(JSON.stringify(result.content)).toContain('kept across the steps');
    await client.close();
  } finally {
    server.kill('SIGTERM');
    await server;
  }
}

const CHAINS: Chain[] = [
  {
    // memory -> database, jwt, modern, then single -> load-balanced -> multi-region and a region.
    name: 'regions',
    generate: ['--pattern', 'single', '--auth', 'apikey'],
    steps: [
      { args: ['add', 'store', 'database'], change: { store: 'database' } },
      { args: ['add', 'auth', 'jwt'], change: { authMode: 'jwt' } },
      { args: ['add', 'protocol', 'modern'], change: { protocol: 'modern' } },
      {
        args: ['migrate', '--pattern', 'load-balanced', '--store', 'redis'],
        change: { pattern: 'load-balanced', store: 'redis', deploy: ['docker', 'compose', 'k8s'] },
      },
      {
        args: ['migrate', '--pattern', 'multi-region', '--store', 'hybrid'],
        change: { pattern: 'multi-region', store: 'hybrid', deploy: ['docker', 'k8s'] },
      },
      {
        args: ['add', 'region', 'sa-east'],
        config: { path: 'regions.json', text: '"name": "sa-east"' },
      },
    ],
    works: async (dir) => {
      // The added region's overlay is the one a generated region has, for its name.
      expect(read(dir, 'deploy/k8s/overlays/sa-east/kustomization.yaml')).toBe(
        read(dir, 'deploy/k8s/overlays/eu-west/kustomization.yaml').replaceAll('eu-west', 'sa-east'),
      );
    },
  },
  {
    // compose, k8s, redis -> hybrid and deployed tracing on replicas.
    name: 'replicas',
    generate: ['--pattern', 'load-balanced', '--store', 'redis', '--deploy', 'docker'],
    steps: [
      { args: ['add', 'deploy', 'compose'], change: { deploy: ['docker', 'compose'] } },
      { args: ['add', 'deploy', 'k8s'], change: { deploy: ['docker', 'compose', 'k8s'] } },
      { args: ['add', 'store', 'hybrid'], change: { store: 'hybrid' } },
      { args: ['add', 'tracing'], change: { tracing: true } },
    ],
    suiteRunBy: 'stores',
    works: async (dir) => {
      const compose = read(dir, 'compose.yaml');
      expect(compose).toContain('  otel-collector:\n');
      expect(compose).toContain(
        'OTEL_EXPORTER_OTLP_ENDPOINT: ${OTEL_EXPORTER_OTLP_ENDPOINT:-http://otel-collector:4318}',
      );
      expect(read(dir, 'deploy/k8s/base/configmap.yaml')).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
      await npmOk(dir, ['run', 'build'], node24);
      await callShout(dir, { REDIS_URL, DATABASE_URL });
    },
  },
  {
    // single with 2025 sessions -> gateway (the tools carried over), memory -> redis, an HTTP backend.
    name: 'gateway',
    generate: ['--pattern', 'single', '--session-mode', 'stateful'],
    steps: [
      {
        args: ['migrate', '--pattern', 'gateway'],
        change: { pattern: 'gateway', deploy: ['docker', 'compose'] },
      },
      { args: ['add', 'store', 'redis'], change: { store: 'redis' } },
      {
        args: ['add', 'backend', 'weather', '--url', 'http://127.0.0.1:4200/mcp'],
        config: { path: 'gateway.config.json', text: '"weather": {\n      "url": "http://127.0.0.1:4200/mcp"' },
      },
    ],
    suiteRunBy: 'gateway',
  },
  {
    // A stdio backend for the multi-server agent: the example text server under another name.
    name: 'agent',
    generate: ['--pattern', 'multi-server'],
    steps: [
      {
        args: ['add', 'backend', 'words', '--command', 'node', '--arg', 'dist/servers/text/main.js'],
        config: { path: 'mcp-servers.json', text: '"words": {\n      "command": "node"' },
      },
    ],
    suiteRunBy: 'multi-server',
    works: async (dir) => {
      await npmOk(dir, ['run', 'build'], node24);
      // The added backend, through the agent as the README runs it (the example HTTP server is not started).
      const counted = await npmOk(
        dir,
        ['run', '--silent', 'agent', '--', 'call', 'words__word_count', '{"text":"one two three"}'],
        node24,
        { UNITS_API_KEY: API_KEY },
      );
      expect(counted.trim()).toBe('3 words, 13 characters, 1 lines, 1 sentences');
      // The tool the user added, on the project's own HTTP server.
      await callShout(dir);
    },
  },
  {
    name: 'functions',
    generate: ['--pattern', 'serverless', '--deploy', 'lambda'],
    steps: [{ args: ['add', 'deploy', 'vercel'], change: { deploy: ['lambda', 'vercel'] } }],
    suiteRunBy: 'serverless',
    works: async (dir) => {
      await npmOk(dir, ['run', 'build'], node24);
      // The added target's handler serves the tool the user added, as the local server does.
      writeFileSync(join(dir, 'serve-vercel.mjs'), VERCEL_SERVER);
      await callShout(dir, {}, 'serve-vercel.mjs');
      await callShout(dir);
    },
  },
];

const title = (chain: Chain) =>
  `${chain.name}: ${chain.steps.map((step) => step.args.slice(0, 3).join(' ')).join(' -> ')}`;

describe(
  'generated projects evolved step by step: each step checked exactly, then installed, type-checked, tested, verified and used',
  { timeout: 600_000 },
  () => {
    for (const chain of CHAINS) it(title(chain), () => proveChain(chain));
  },
);

describe('check-update with the generator given by --from', () => {
  it("renders the base through that generator's own CLI: the built checkout renders what the source does", async () => {
    // The built bin of this checkout (npm run test:e2e builds it first) is another generator process.
    const fresh = join(work, 'fresh');
    const generated = await run(
      'mcpArch',
      ['generate', 'fresh', '--pattern', 'gateway', '--yes', '--no-install', '--no-git'],
      {
        cwd: work,
      },
    );
    expect(generated.exitCode, generated.stderr).toBe(0);
    const result = await run('mcpArch', ['check-update', '--dir', fresh, '--from', ROOT, '--json']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ upToDate: true, changedByGenerator: [] });
  });
});
