import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionsOf, renderWith } from '../../src/evolve/project.js';
import type { PatternOptions } from '../../src/patterns/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { parseManifest } from '../../src/verify/readers/manifest.js';
import { ROOT, run } from '../cli/run-bin.js';
import { editProject, expectEvolved } from '../evolve/edits.js';
import { commitAll, read } from '../evolve/helpers.js';
import { installDependencies, npmOk, ownTests } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';

/**
 * A user's path through `mcp-arch add` and `migrate`: generate the single project, add a tool and
 * edit it, commit, evolve it, then install, type-check, run its own tests, verify it (and call the
 * new tool on the running server).
 */
const work = mkdtempSync(join(tmpdir(), 'e2e-evolve-'));
const app = join(work, 'app');
const migrated = join(work, 'migrated');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'e2e-key-0123456789abcdef';
let node24: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  for (const name of ['app', 'migrated']) {
    const generated = await run(
      'mcpArch',
      ['generate', name, '--pattern', 'single', '--yes', '--no-install', '--no-git'],
      {
        cwd: work,
      },
    );
    expect(generated.exitCode, generated.stderr).toBe(0);
  }
});

/** Edits the project, commits, runs `mcp-arch <args>` on it and checks the edits and the new files. */
async function evolveEdited(dir: string, args: string[], change: Partial<PatternOptions>): Promise<void> {
  const options = optionsOf(parseManifest(JSON.parse(read(dir, 'mcp-arch.json'))));
  const templates = loadTemplates();
  const before = renderWith(options, templates);
  const after = renderWith({ ...options, ...change }, templates);
  const edits = editProject(dir, before, after);
  await commitAll(dir);
  const result = await run('mcpArch', [...args, '--dir', dir, '--yes']);
  expect(result.exitCode, result.stderr + result.stdout).toBe(0);
  expectEvolved(dir, before, after, edits);
  expect(optionsOf(parseManifest(JSON.parse(read(dir, 'mcp-arch.json'))))).toEqual({ ...options, ...change });
}

async function expectVerified(dir: string): Promise<void> {
  const result = await run('mcpArch', ['verify', 'checklist', '--dir', dir, '--format', 'json']);
  const failed = JSON.parse(result.stdout).results.filter((r: { status: string }) => r.status === 'fail');
  expect(result.exitCode, JSON.stringify(failed, null, 2)).toBe(0);
}

describe('a generated project evolved with mcp-arch add', { timeout: 300_000 }, () => {
  it('adds the database store, keeping the new tool and the edits', async () => {
    await evolveEdited(app, ['add', 'store', 'database'], { store: 'database' });
  });

  it('installs, type-checks and passes its own tests', async () => {
    await installDependencies(app, node24);
    await npmOk(app, ['run', 'typecheck'], node24);
    const { report } = await ownTests(app, node24);
    expect(report.numFailedTests).toBe(0);
  });

  it('passes mcp-arch verify checklist', async () => {
    await expectVerified(app);
  });

  it('serves the tool the user added', async () => {
    await npmOk(app, ['run', 'build'], node24);
    const port = await freePort();
    const server = execa(join(node24, 'node'), ['dist/index.js'], {
      cwd: app,
      env: envWithNode(node24, { PORT: String(port), HOST: '127.0.0.1', API_KEYS: API_KEY, AUTH_MODE: 'apikey' }),
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
      const result = await client.callTool({ name: 'shout', arguments: { text: 'kept across add' } });
      expect(JSON.stringify(result.content)).toContain('kept across add');
      await client.close();
    } finally {
      server.kill('SIGTERM');
      await server;
    }
  });
});

describe('a generated project migrated to load-balanced replicas', { timeout: 300_000 }, () => {
  it('moves to the pattern with the Redis store, keeping the new tool and the edits', async () => {
    await evolveEdited(migrated, ['migrate', '--pattern', 'load-balanced', '--store', 'redis'], {
      pattern: 'load-balanced',
      store: 'redis',
      deploy: ['docker', 'compose', 'k8s'],
    });
  });

  it('installs, type-checks, passes its own tests against Redis and verify', async () => {
    await installDependencies(migrated, node24);
    await npmOk(migrated, ['run', 'typecheck'], node24);
    const { report } = await ownTests(migrated, node24, { REDIS_URL });
    expect(report.numFailedTests).toBe(0);
    await expectVerified(migrated);
  });
});

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
