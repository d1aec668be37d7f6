import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/render/templates.js';
import { ROOT, tempDir } from './run-bin.js';

/**
 * npm drops some files (dotfiles such as .gitignore) from published packages. The package is
 * packed as it would be published, and a project is generated from the packed copy.
 */
describe('the published package', () => {
  const work = tempDir('pack-');

  it('ships every template and generates the dotfiles from the packed copy', { timeout: 120_000 }, async () => {
    const { stdout } = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    const [pack] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    const shipped = new Set(pack.files.map((f) => f.path));
    const templates = loadTemplates();
    for (const key of templates.files.keys()) expect(shipped, `templates/${key}`).toContain(`templates/${key}`);
    expect(shipped).toContain('bin/mcp-arch.js');
    expect(shipped).toContain('dist/cli/mcp-arch.js');
    expect([...shipped].some((p) => p.startsWith('test/') || p.startsWith('src/'))).toBe(false);

    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await execa('tar', ['-xzf', join(work, pack.filename), '-C', unpacked]);
    symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'package', 'node_modules'));
    const generated = await execa(process.execPath, [join(unpacked, 'package', 'bin', 'mcp-arch.js'), 'generate', 'app', '--pattern', 'single', '--yes', '--no-install', '--no-git'], {
      cwd: work,
      env: { CI: 'true' },
      reject: false,
    });
    expect(generated.exitCode, generated.stderr).toBe(0);
    for (const dotfile of ['.gitignore', '.dockerignore', '.env.example', '.github/workflows/ci.yml']) {
      expect(existsSync(join(work, 'app', dotfile)), dotfile).toBe(true);
    }
    expect(readFileSync(join(work, 'app', '.gitignore'), 'utf8')).toMatch(/node_modules/);
  });
});
