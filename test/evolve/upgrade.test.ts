import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evolve, type EvolveFlags } from '../../src/evolve/index.js';
import { optionsOf } from '../../src/core/manifest.js';
import { renderWith } from '../../src/evolve/project.js';
import type { RenderedFile } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { parseManifest } from '../../src/verify/readers/manifest.js';
import { tempDir } from '../cli/run-bin.js';
import { changedLine, read, textOf, treeHash, write, writeTree } from './helpers.js';

/** A project as the previous release generated it (test/fixtures/evolve/README.md says how). */
const fixture = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../fixtures/evolve/single-c83fcab.json'), 'utf8'),
) as { files: Record<string, string> };
const previous: RenderedFile[] = Object.entries(fixture.files).map(([path, contents]) => ({
  path,
  contents,
  executable: false,
}));
const oldManifest = JSON.parse(fixture.files['mcp-arch.json']!) as Record<string, unknown>;
const options = optionsOf(parseManifest(oldManifest));
const current = renderWith(options, loadTemplates());

const root = tempDir('evolve-upgrade-');
let count = 0;
function oldProject(): string {
  const dir = join(root, `p${(count += 1)}`);
  mkdirSync(dir, { recursive: true });
  writeTree(dir, previous);
  return dir;
}

function flags(dir: string, overrides: Partial<EvolveFlags> = {}): EvolveFlags {
  return {
    dir,
    dryRun: false,
    diff: false,
    conflict: 'markers',
    allowDirty: false,
    yes: true,
    json: false,
    base: previous,
    ...overrides,
  };
}

const quiet = { out: () => undefined, info: () => undefined };
const TEXT_FILES = (path: string) => !['package.json', 'mcp-arch.json'].includes(path);

/** The first file both releases have that the new one changes, and one it leaves as it was. */
const changed = current.find(
  (file) =>
    TEXT_FILES(file.path) &&
    textOf(previous, file.path) !== undefined &&
    textOf(previous, file.path) !== file.contents.toString(),
)!;
const unchanged = current.find(
  (file) => TEXT_FILES(file.path) && textOf(previous, file.path) === file.contents.toString(),
)!;

describe('upgrade from the previous release', () => {
  it('reads the older manifest: no protocol field means dual', () => {
    expect(oldManifest.protocol).toBeUndefined();
    expect(options.protocol).toBe('dual');
  });

  it('merges edits that do not overlap the new release cleanly', async () => {
    const dir = oldProject();
    write(dir, 'src/mcp/mine.ts', 'export const mine = 1;\n');
    const pkg = JSON.parse(read(dir, 'package.json'));
    write(
      dir,
      'package.json',
      `${JSON.stringify({ ...pkg, dependencies: { ...pkg.dependencies, 'left-pad': '1.3.0' } }, null, 2)}\n`,
    );
    write(dir, unchanged.path, `${read(dir, unchanged.path)}\n# kept by its owners\n`);

    const code = await evolve({ command: 'upgrade' }, flags(dir), quiet);
    expect(code).toBe(0);

    expect(read(dir, 'src/mcp/mine.ts')).toBe('export const mine = 1;\n');
    expect(read(dir, unchanged.path)).toContain('# kept by its owners');
    const merged = JSON.parse(read(dir, 'package.json'));
    const fresh = JSON.parse(textOf(current, 'package.json')!);
    expect(merged.dependencies).toEqual({ ...fresh.dependencies, 'left-pad': '1.3.0' });
    expect(merged.devDependencies).toEqual(fresh.devDependencies);
    expect(JSON.parse(read(dir, 'mcp-arch.json')).protocol).toBe('dual');
    for (const file of current)
      if (!['package.json', unchanged.path].includes(file.path))
        expect(read(dir, file.path), file.path).toBe(file.contents.toString());
    const kept = new Set(current.map((file) => file.path));
    for (const file of previous)
      if (!kept.has(file.path)) expect(existsSync(join(dir, file.path)), file.path).toBe(false);
  });

  it('writes conflict markers where an edit overlaps the new release, and exits 1', async () => {
    const dir = oldProject();
    const lines = read(dir, changed.path).split('\n');
    const at = changedLine(lines.join('\n'), changed.contents.toString());
    lines[at] = `${lines[at]} // ours`;
    write(dir, changed.path, lines.join('\n'));

    const code = await evolve({ command: 'upgrade' }, flags(dir), quiet);
    expect(code).toBe(1);
    expect(read(dir, changed.path)).toMatch(
      /<<<<<<< yours\n[\s\S]*\/\/ ours[\s\S]*\|\|\|\|\|\|\| generated\n[\s\S]*=======\n[\s\S]*>>>>>>> upgrade\n/,
    );
    expect(read(dir, unchanged.path)).toBe(unchanged.contents.toString());
  });

  it('with --conflict rej, keeps the overlapping edit and writes the rejected change beside it', async () => {
    const dir = oldProject();
    const lines = read(dir, changed.path).split('\n');
    const at = changedLine(lines.join('\n'), changed.contents.toString());
    lines[at] = `${lines[at]} // ours`;
    write(dir, changed.path, lines.join('\n'));

    const code = await evolve({ command: 'upgrade' }, flags(dir, { conflict: 'rej' }), quiet);
    expect(code).toBe(1);
    expect(read(dir, changed.path)).toContain(lines[at]);
    expect(read(dir, changed.path)).not.toContain('<<<<<<<');
    expect(read(dir, `${changed.path}.rej`)).toMatch(/^--- .*\n\+\+\+ .*\n@@ conflict 1 of \d+/);
  });

  it('check-update exits 1 naming what would change, and writes nothing', async () => {
    const dir = oldProject();
    const hash = treeHash(dir);
    const out: string[] = [];
    const code = await evolve({ command: 'check-update' }, flags(dir, { yes: false }), {
      ...quiet,
      out: (text) => out.push(text),
    });
    expect(code).toBe(1);
    expect(out.join('\n')).toContain(changed.path);
    expect(treeHash(dir)).toBe(hash);
  });

  it('--dry-run shows the upgrade and writes nothing', async () => {
    const dir = oldProject();
    const hash = treeHash(dir);
    const out: string[] = [];
    const code = await evolve({ command: 'upgrade' }, flags(dir, { dryRun: true, diff: true }), {
      ...quiet,
      out: (text) => out.push(text),
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(`+++ b/${changed.path}`);
    expect(treeHash(dir)).toBe(hash);
  });
});
