import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/evolve/apply.js';
import { conflictCount, planEvolution } from '../../src/evolve/plan.js';
import type { RenderedFile } from '../../src/render/render.js';
import { read, treeHash, write, writeTree } from './helpers.js';

const file = (path: string, contents: string, executable = false): RenderedFile => ({ path, contents, executable });
const lines = (...list: string[]) => `${list.join('\n')}\n`;
const TOOLS = lines('import a', '', 'export function tools() {', '  echo();', '  add();', '}', '', '// end');
const PKG = (deps: Record<string, string>) =>
  `${JSON.stringify({ name: 'demo', scripts: { test: 'vitest run' }, dependencies: deps }, null, 2)}\n`;
const MANIFEST = (store: string) => `${JSON.stringify({ name: 'demo', store }, null, 2)}\n`;

const BASE = [
  file('src/tools.ts', TOOLS),
  file('README.md', lines('# Demo', '', 'Intro.', '', '## Store', '', 'Memory.')),
  file('package.json', PKG({ hono: '4.0.0' })),
  file('mcp-arch.json', MANIFEST('memory')),
  file('src/old.ts', 'old\n'),
  file('src/old-edited.ts', 'old\n'),
  file('scripts/run.sh', '#!/bin/sh\n', true),
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'evolve-plan-'));
  writeTree(dir, BASE);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('planEvolution', () => {
  const theirs = [
    file('src/tools.ts', TOOLS.replace('// end', '// end of tools')),
    file('README.md', lines('# Demo', '', 'Intro.', '', '## Store', '', 'Redis.')),
    file('package.json', PKG({ hono: '4.1.0', ioredis: '5.0.0' })),
    file('mcp-arch.json', MANIFEST('redis')),
    file('src/store/redis.ts', 'redis\n'),
    file('src/old-edited.ts', 'old\n'),
    file('scripts/run.sh', '#!/bin/sh\nset -e\n', true),
  ].filter((f) => f.path !== 'src/old-edited.ts');

  it('merges your edits with the new rendering and leaves your own files alone', async () => {
    write(dir, 'src/tools.ts', TOOLS.replace('  add();', '  add();\n  shout();'));
    write(dir, 'src/mine.ts', 'mine\n');
    write(dir, 'package.json', PKG({ hono: '4.0.0', lodash: '4.17.21' }));
    write(dir, 'src/old-edited.ts', 'old, edited\n');

    const plan = await planEvolution({
      dir,
      base: BASE,
      theirs,
      conflict: 'markers',
      carried: { answers: { domains: 3 } },
    });
    expect(conflictCount(plan)).toBe(0);
    const actions = Object.fromEntries(plan.changes.map((change) => [change.path, change.action]));
    expect(actions).toEqual({
      'README.md': 'update',
      'mcp-arch.json': 'update',
      'package.json': 'update',
      'scripts/run.sh': 'update',
      'src/old.ts': 'delete',
      'src/store/redis.ts': 'create',
      'src/tools.ts': 'update',
    });
    expect(plan.notes).toEqual([expect.stringContaining('src/old-edited.ts')]);
    expect(plan.generatorChanges).toContain('src/old.ts');

    const before = treeHash(dir);
    await applyChanges(dir, plan.changes);
    expect(treeHash(dir)).not.toBe(before);
    expect(read(dir, 'src/tools.ts')).toBe(
      lines(
        'import a',
        '',
        'export function tools() {',
        '  echo();',
        '  add();',
        '  shout();',
        '}',
        '',
        '// end of tools',
      ),
    );
    expect(JSON.parse(read(dir, 'package.json')).dependencies).toEqual({
      hono: '4.1.0',
      lodash: '4.17.21',
      ioredis: '5.0.0',
    });
    expect(JSON.parse(read(dir, 'mcp-arch.json'))).toEqual({ name: 'demo', store: 'redis', answers: { domains: 3 } });
    expect(read(dir, 'src/mine.ts')).toBe('mine\n');
    expect(read(dir, 'src/old-edited.ts')).toBe('old, edited\n');
    expect(existsSync(join(dir, 'src/old.ts'))).toBe(false);
    expect(read(dir, 'src/store/redis.ts')).toBe('redis\n');
    expect(statSync(join(dir, 'scripts/run.sh')).mode & 0o111).not.toBe(0);
  });

  it('writes a conflict as markers in the file', async () => {
    write(dir, 'README.md', lines('# Demo', '', 'Intro.', '', '## Store', '', 'Memory, for now.'));
    const plan = await planEvolution({ dir, base: BASE, theirs, conflict: 'markers' });
    expect(conflictCount(plan)).toBe(1);
    await applyChanges(dir, plan.changes);
    expect(read(dir, 'README.md')).toContain(
      '<<<<<<< yours\nMemory, for now.\n||||||| generated\nMemory.\n=======\nRedis.\n>>>>>>> upgrade\n',
    );
    expect(existsSync(join(dir, 'README.md.rej'))).toBe(false);
  });

  it('writes a conflict as a .rej file and keeps your lines', async () => {
    const yours = lines('# Demo', '', 'Intro.', '', '## Store', '', 'Memory, for now.');
    write(dir, 'README.md', yours);
    const plan = await planEvolution({ dir, base: BASE, theirs, conflict: 'rej' });
    expect(conflictCount(plan)).toBe(1);
    await applyChanges(dir, plan.changes);
    expect(read(dir, 'README.md')).toBe(yours);
    expect(read(dir, 'README.md.rej')).toContain('-Memory.\n+Redis.\n');
  });

  it('names a package.json key both sides changed instead of choosing', async () => {
    write(dir, 'package.json', PKG({ hono: '4.0.5' }));
    const markers = await planEvolution({ dir, base: BASE, theirs, conflict: 'markers' });
    expect(markers.changes.find((change) => change.path === 'package.json')?.contents).toContain('<<<<<<< yours');
    const rej = await planEvolution({ dir, base: BASE, theirs, conflict: 'rej' });
    const pkg = rej.changes.find((change) => change.path === 'package.json')!;
    expect(JSON.parse(String(pkg.contents)).dependencies).toEqual({ hono: '4.0.5', ioredis: '5.0.0' });
    expect(String(rej.changes.find((change) => change.path === 'package.json.rej')?.contents)).toContain(
      'dependencies.hono: yours kept',
    );
    expect(conflictCount(rej)).toBe(1);
  });

  it('shows a change to a file you deleted instead of dropping it', async () => {
    rmSync(join(dir, 'README.md'));
    const plan = await planEvolution({ dir, base: BASE, theirs, conflict: 'markers' });
    const readme = plan.changes.find((change) => change.path === 'README.md')!;
    expect(readme.conflicts).toBeGreaterThan(0);
    expect(String(readme.contents)).toContain('Redis.');
  });

  it('changes nothing when the rendering did not change', async () => {
    write(dir, 'src/tools.ts', 'rewritten\n');
    const plan = await planEvolution({ dir, base: BASE, theirs: BASE, conflict: 'markers' });
    expect(plan).toEqual({ changes: [], generatorChanges: [], notes: [] });
  });
});

describe('applyChanges', () => {
  it('puts every file back when a write fails part way', async () => {
    const before = treeHash(dir);
    const failing = [
      { path: 'src/tools.ts', action: 'update' as const, contents: 'changed\n', conflicts: 0 },
      { path: 'src/old.ts', action: 'delete' as const, conflicts: 0 },
      { path: 'src/new/deep/file.ts', action: 'create' as const, contents: 'new\n', conflicts: 0 },
      // README.md is a file, so nothing can be created under it.
      { path: 'README.md/inside.txt', action: 'create' as const, contents: 'x\n', conflicts: 0 },
    ];
    await expect(applyChanges(dir, failing)).rejects.toThrow(/left as it was/);
    expect(treeHash(dir)).toBe(before);
  });

  it('writes nothing when interrupted', async () => {
    const before = treeHash(dir);
    const controller = new AbortController();
    controller.abort();
    await expect(
      applyChanges(dir, [{ path: 'src/tools.ts', action: 'update', contents: 'changed\n', conflicts: 0 }], {
        signal: controller.signal,
      }),
    ).rejects.toThrow(/Interrupted/);
    expect(treeHash(dir)).toBe(before);
    expect(readFileSync(join(dir, 'src/tools.ts'), 'utf8')).toBe(TOOLS);
  });

  it('refuses a path outside the project before writing anything', async () => {
    const before = treeHash(dir);
    await expect(
      applyChanges(dir, [{ path: '../escape.txt', action: 'create', contents: 'x', conflicts: 0 }]),
    ).rejects.toThrow(/Refusing to write/);
    expect(treeHash(dir)).toBe(before);
  });
});
