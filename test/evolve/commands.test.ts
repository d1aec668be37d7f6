import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionsOf } from '../../src/evolve/project.js';
import { renderWith } from '../../src/evolve/project.js';
import type { PatternOptions } from '../../src/patterns/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { parseManifest } from '../../src/verify/readers/manifest.js';
import { run, tempDir } from '../cli/run-bin.js';
import { editProject, expectEvolved } from './edits.js';
import { commitAll, generate, read, treeHash, write } from './helpers.js';

const root = tempDir('evolve-commands-');
const templates = loadTemplates();
let count = 0;

/** A project generated with `args` in a folder of its own. */
async function project(args: string[]): Promise<string> {
  const dir = join(root, `p${(count += 1)}`, 'demo');
  await generate(dir, args);
  return dir;
}

const manifestOptions = (dir: string): PatternOptions =>
  optionsOf(parseManifest(JSON.parse(read(dir, 'mcp-arch.json'))));
const evolve = (dir: string, args: string[]) => run('mcpArch', [...args, '--dir', dir]);

describe('add and migrate carry the user edits over', () => {
  const cases: { name: string; from: string[]; args: string[]; to: Partial<PatternOptions> }[] = [
    { name: 'add store', from: ['--pattern', 'single'], args: ['add', 'store', 'database'], to: { store: 'database' } },
    {
      name: 'add auth',
      from: ['--pattern', 'single', '--auth', 'apikey'],
      args: ['add', 'auth', 'jwt'],
      to: { authMode: 'jwt' },
    },
    {
      name: 'add protocol',
      from: ['--pattern', 'single'],
      args: ['add', 'protocol', 'modern'],
      to: { protocol: 'modern' },
    },
    {
      name: 'add deploy',
      from: ['--pattern', 'load-balanced', '--store', 'redis', '--deploy', 'docker'],
      args: ['add', 'deploy', 'compose'],
      to: { deploy: ['docker', 'compose'] },
    },
    {
      name: 'migrate single -> load-balanced',
      from: ['--pattern', 'single'],
      args: ['migrate', '--pattern', 'load-balanced', '--store', 'redis'],
      to: { pattern: 'load-balanced', store: 'redis', deploy: ['docker', 'compose', 'k8s'] },
    },
    {
      name: 'migrate single -> gateway',
      from: ['--pattern', 'single'],
      args: ['migrate', '--pattern', 'gateway'],
      to: { pattern: 'gateway', store: 'memory', deploy: ['docker', 'compose'] },
    },
    {
      name: 'migrate load-balanced -> multi-region',
      from: ['--pattern', 'load-balanced', '--store', 'hybrid', '--deploy', 'docker,compose'],
      args: ['migrate', '--pattern', 'multi-region'],
      to: { pattern: 'multi-region', store: 'hybrid', deploy: ['docker', 'k8s'] },
    },
  ];

  for (const { name, from, args, to } of cases) {
    it(name, async () => {
      const dir = await project(from);
      const options = manifestOptions(dir);
      const before = renderWith(options, templates);
      const target = { ...options, ...to };
      const after = renderWith(target, templates);
      const edits = editProject(dir, before, after);

      const result = await evolve(dir, [...args, '--yes']);
      expect(result.exitCode, result.stderr + result.stdout).toBe(0);
      expect(manifestOptions(dir)).toEqual(target);
      expectEvolved(dir, before, after, edits);
    });
  }
});

describe('the manifest', () => {
  it("keeps the advisor's answers across an evolution and refuses answers to no question", async () => {
    const dir = await project(['--pattern', 'single']);
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    write(dir, 'mcp-arch.json', JSON.stringify({ ...manifest, answers: { domains: 2, consumers: 'teams' } }));
    const added = await evolve(dir, ['add', 'store', 'database', '--yes']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(read(dir, 'mcp-arch.json'))).toMatchObject({
      store: 'database',
      answers: { domains: 2, consumers: 'teams' },
    });

    write(dir, 'mcp-arch.json', JSON.stringify({ ...manifest, answers: { colour: 'blue' } }));
    const hash = treeHash(dir);
    const refused = await evolve(dir, ['upgrade', '--yes']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('"answers.colour" is not a question');
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('dry run, diff and JSON', () => {
  it('--dry-run --diff shows the change as a unified diff and writes nothing', async () => {
    const dir = await project(['--pattern', 'single']);
    const hash = treeHash(dir);
    const result = await evolve(dir, ['add', 'store', 'database', '--dry-run', '--diff']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\+\+\+ b\/src\/store\/database\.ts$/m);
    expect(result.stdout).toMatch(/^--- a\/mcp-arch\.json$/m);
    expect(result.stdout).toContain('Would change');
    expect(treeHash(dir)).toBe(hash);
  });

  it('--json prints the plan as JSON on stdout', async () => {
    const dir = await project(['--pattern', 'single']);
    const hash = treeHash(dir);
    const result = await evolve(dir, ['add', 'store', 'database', '--dry-run', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { changes: { path: string; action: string }[]; to: PatternOptions };
    expect(report.changes).toContainEqual({ path: 'src/store/database.ts', action: 'create', conflicts: 0 });
    expect(report.to.store).toBe('database');
    expect(treeHash(dir)).toBe(hash);
  });

  it('does nothing when the project has the feature already', async () => {
    const dir = await project(['--pattern', 'single']);
    const hash = treeHash(dir);
    const result = await evolve(dir, ['add', 'deploy', 'docker', '--yes']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('already');
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('refusals leave every file untouched', () => {
  const refusals: { name: string; args: string[]; message: RegExp }[] = [
    {
      name: 'an unknown feature',
      args: ['add', 'cache', 'x', '--yes'],
      message: /store, deploy, auth, protocol, backend, region/,
    },
    { name: 'an unknown store', args: ['add', 'store', 'mongo', '--yes'], message: /memory, redis, database, hybrid/ },
    {
      name: 'a store the pattern does not use',
      args: ['add', 'store', 'redis', '--yes'],
      message: /single pattern.*memory, database/,
    },
    {
      name: 'a deploy target the pattern does not have',
      args: ['add', 'deploy', 'lambda', '--yes'],
      message: /docker/,
    },
    {
      name: 'a backend on a pattern without backends',
      args: ['add', 'backend', 'x', '--url', 'http://127.0.0.1:1/mcp', '--yes'],
      message: /gateway and multi-server/,
    },
    {
      name: 'a migration needing a store',
      args: ['migrate', '--pattern', 'load-balanced', '--yes'],
      message: /--store.*redis, database, hybrid/,
    },
    { name: 'a pattern it has already', args: ['migrate', '--pattern', 'single', '--yes'], message: /already/ },
    { name: 'no --yes without a terminal', args: ['add', 'store', 'database'], message: /--yes/ },
    { name: 'an unknown conflict style', args: ['upgrade', '--conflict', 'theirs', '--yes'], message: /markers, rej/ },
  ];
  for (const { name, args, message } of refusals) {
    it(name, async () => {
      const dir = await project(['--pattern', 'single']);
      const hash = treeHash(dir);
      const result = await evolve(dir, args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(treeHash(dir)).toBe(hash);
    });
  }

  it('a dirty git tree, unless --allow-dirty', async () => {
    const dir = await project(['--pattern', 'single']);
    await commitAll(dir);
    write(dir, 'NOTES.md', 'Not committed yet.\n');
    const hash = treeHash(dir);
    const refused = await evolve(dir, ['add', 'store', 'database', '--yes']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/uncommitted changes.*--allow-dirty/);
    expect(treeHash(dir)).toBe(hash);

    const allowed = await evolve(dir, ['add', 'store', 'database', '--yes', '--allow-dirty']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(read(dir, 'NOTES.md')).toBe('Not committed yet.\n');
    expect(manifestOptions(dir).store).toBe('database');
  });

  it('a folder without mcp-arch.json', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{}\n');
    const hash = treeHash(dir);
    for (const args of [['upgrade', '--yes'], ['check-update'], ['add', 'store', 'redis', '--yes']]) {
      const result = await evolve(dir, args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('No mcp-arch.json');
    }
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('backends and regions', () => {
  it('adds an HTTP backend to the gateway and a stdio one to multi-server', async () => {
    const gateway = await project(['--pattern', 'gateway']);
    const added = await evolve(gateway, ['add', 'backend', 'weather', '--url', 'http://127.0.0.1:4200/mcp', '--yes']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(read(gateway, 'gateway.config.json')).mcpServers.weather).toEqual({
      url: 'http://127.0.0.1:4200/mcp',
    });

    const hash = treeHash(gateway);
    const twice = await evolve(gateway, ['add', 'backend', 'weather', '--url', 'http://127.0.0.1:4300/mcp', '--yes']);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toContain('already has a backend named weather');
    const both = await evolve(gateway, ['add', 'backend', 'x', '--url', 'http://a/mcp', '--command', 'node', '--yes']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('exactly one of --url');
    expect(treeHash(gateway)).toBe(hash);

    const multi = await project(['--pattern', 'multi-server']);
    const stdio = await evolve(multi, [
      'add',
      'backend',
      'files',
      '--command',
      'node',
      '--arg',
      'dist/files.js',
      '--yes',
    ]);
    expect(stdio.exitCode, stdio.stderr).toBe(0);
    expect(JSON.parse(read(multi, 'mcp-servers.json')).mcpServers.files).toEqual({
      command: 'node',
      args: ['dist/files.js'],
    });
  });

  it('adds a region to multi-region', async () => {
    const dir = await project(['--pattern', 'multi-region', '--store', 'database']);
    const result = await evolve(dir, ['add', 'region', 'sa-east', '--url', 'https://sa-east.example.com/mcp', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    const regions = JSON.parse(read(dir, 'regions.json')).regions as { name: string; url: string }[];
    expect(regions.at(-1)).toEqual({ name: 'sa-east', url: 'https://sa-east.example.com/mcp' });
  });
});

describe('check-update', () => {
  it('exits 0 when this generator would change nothing', async () => {
    const dir = await project(['--pattern', 'single']);
    const result = await evolve(dir, ['check-update']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Up to date');
  });

  it('exits 2 naming what to do when the generator that made the project is not at hand', async () => {
    const dir = await project(['--pattern', 'single']);
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    write(
      dir,
      'mcp-arch.json',
      JSON.stringify({ ...manifest, generator: { ...manifest.generator, version: '0.0.1' } }),
    );
    const hash = treeHash(dir);
    const result = await evolve(dir, ['check-update']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/records create-mcp-arch 0\.0\.1.*npm install.*--from/);
    expect(treeHash(dir)).toBe(hash);
  });

  it('refuses a --from folder that holds no generator', async () => {
    const dir = await project(['--pattern', 'single']);
    const copy = join(root, 'not-a-generator');
    cpSync(join(dir, 'src'), copy, { recursive: true });
    const result = await evolve(dir, ['check-update', '--from', copy]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('no create-mcp-arch package there');
    rmSync(copy, { recursive: true, force: true });
    expect(readFileSync(join(dir, 'mcp-arch.json'), 'utf8')).toContain('"single"');
  });
});
