import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/render/templates.js';
import { ROOT, tempDir } from './run-bin.js';

/** Bytes of every file under `dir` (symlinks not followed). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(full);
    else total += lstatSync(full).size;
  }
  return total;
}

/** Package folders in a node_modules tree (`name` or `@scope/name`), nested ones included. */
function packagesUnder(modules: string): string[] {
  if (!existsSync(modules)) return [];
  return readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
    )
    .flatMap((name) => [name, ...packagesUnder(join(modules, name, 'node_modules'))]);
}

const INSTALL_BUDGET_BYTES = 5 * 1024 * 1024;

/**
 * The package as it would be published (`npm pack` of the built checkout), installed from its
 * tarball into an empty folder as a user's `npm install` would, and run from there.
 */
describe('the published package', () => {
  const work = tempDir('pack-');
  const prefix = join(work, 'user');
  const installed = join(prefix, 'node_modules', 'create-mcp-arch');
  const bin = (name: string) => join(prefix, 'node_modules', '.bin', name);
  let shipped: Set<string>;
  let manifest: Record<string, unknown> & {
    version: string;
    engines: { node: string };
    bin: Record<string, string>;
    scripts?: Record<string, string>;
  };

  beforeAll(async () => {
    const { stdout } = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
    });
    const [pack] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    shipped = new Set(pack.files.map((f) => f.path));
    mkdirSync(prefix);
    writeFileSync(join(prefix, 'package.json'), '{ "private": true }\n');
    await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(work, pack.filename)], {
      cwd: prefix,
      stdin: 'ignore',
    });
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  }, 180_000);

  it('ships the bins, the bundle, its notices and every template, and nothing else', () => {
    const templates = loadTemplates();
    const expectedTemplates = [
      ...templates.files.keys(),
      ...[...templates.partials.keys()].map((name) => `partials/${name}.hbs`),
    ].map((key) => `templates/${key}`);
    expect([...shipped].filter((p) => p.startsWith('templates/')).sort()).toEqual(expectedTemplates.sort());
    for (const [name, shim] of Object.entries(manifest.bin)) {
      expect(shipped, `bin ${name}`).toContain(shim);
      const target = /\.\.\/(dist\/.+?\.js)/.exec(readFileSync(join(installed, shim), 'utf8'))?.[1];
      expect(target, `${shim} imports the bundle`).toBeDefined();
      expect(shipped, `${shim} -> ${target}`).toContain(target);
    }
    expect(shipped).toContain('dist/THIRD-PARTY-NOTICES.md');
    expect(
      [...shipped].filter((p) => !/^(bin|dist|templates)\/|^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(p)),
    ).toEqual([]);
    expect(
      [...shipped].filter((p) => /(^|\/)node_modules\/|\.map$|\.ts$/.test(p) && !p.startsWith('templates/')),
    ).toEqual([]);
  });

  it('has no runtime dependencies and runs nothing at install', () => {
    for (const field of [
      'dependencies',
      'optionalDependencies',
      'peerDependencies',
      'bundleDependencies',
      'bundledDependencies',
    ]) {
      expect(manifest[field], field).toBeUndefined();
    }
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(manifest.scripts?.[script], script).toBeUndefined();
    expect(packagesUnder(join(prefix, 'node_modules'))).toEqual(['create-mcp-arch']);
  });

  it(`installs in under ${INSTALL_BUDGET_BYTES / 1024 / 1024} MB`, () => {
    const bytes = bytesUnder(join(prefix, 'node_modules'));
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(INSTALL_BUDGET_BYTES);
  });

  it('guards the Node version its engines field names, before loading the bundle', () => {
    const [major, minor] = /^>=(\d+)\.(\d+)$/.exec(manifest.engines.node)!.slice(1);
    for (const shim of Object.values(manifest.bin)) {
      const text = readFileSync(join(installed, shim), 'utf8');
      expect(text).toContain(`major < ${major} || (major === ${major} && minor < ${minor})`);
      expect(text.indexOf('process.exit(1)')).toBeLessThan(text.indexOf("import('../dist/"));
    }
  });

  it('runs both bins from the installed copy: --help and --version', async () => {
    for (const name of Object.keys(manifest.bin)) {
      const help = await execa(bin(name), ['--help'], { cwd: work, env: { CI: 'true', NO_COLOR: '1' }, reject: false });
      expect(help.exitCode, help.stderr).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: ${name} `));
      const version = await execa(bin(name), ['--version'], { cwd: work, reject: false });
      expect(version.stdout.trim()).toBe(manifest.version);
    }
  });

  it('plans a project with generate --dry-run: its verify runs this version of the package', async () => {
    const planned = await execa(
      bin('mcp-arch'),
      ['generate', 'planned', '--pattern', 'single', '--yes', '--dry-run', '--json'],
      { cwd: work, env: { CI: 'true' }, reject: false },
    );
    expect(planned.exitCode, planned.stderr).toBe(0);
    const { blueprint } = JSON.parse(planned.stdout) as {
      blueprint: { scripts: Record<string, string>; devDependencies: Record<string, string> };
    };
    expect(blueprint.scripts.verify).toBe('mcp-arch verify checklist');
    // Installed inside node_modules: the published version, not a link to a checkout.
    expect(blueprint.devDependencies['create-mcp-arch']).toBe(manifest.version);
    expect(existsSync(join(work, 'planned'))).toBe(false);
  });

  it('generates the dotfiles npm would drop from a published template', async () => {
    const generated = await execa(
      bin('mcp-arch'),
      ['generate', 'app', '--pattern', 'single', '--yes', '--no-install', '--no-git'],
      { cwd: work, env: { CI: 'true' }, reject: false },
    );
    expect(generated.exitCode, generated.stderr).toBe(0);
    for (const dotfile of ['.gitignore', '.dockerignore', '.env.example', '.github/workflows/ci.yml']) {
      expect(existsSync(join(work, 'app', dotfile)), dotfile).toBe(true);
    }
    expect(readFileSync(join(work, 'app', '.gitignore'), 'utf8')).toMatch(/node_modules/);
  });

  it('refuses a usage error from the installed copy with exit 2', async () => {
    const bad = await execa(bin('mcp-arch'), ['generate', 'bad', '--pattern', 'no-such-pattern', '--yes'], {
      cwd: work,
      env: { CI: 'true', NO_COLOR: '1' },
      reject: false,
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--pattern/);
    expect(existsSync(join(work, 'bad'))).toBe(false);
  });
});
