import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run } from '../cli/run-bin.js';
import { npmOk } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';

/**
 * `npm run verify` in a generated project runs the CLI from the project's own dev dependency on
 * create-mcp-arch: first linked to this checkout (a project generated from a clone), then
 * installed from the packed tarball (the package as it will be published).
 */
const work = mkdtempSync(join(tmpdir(), 'e2e-packed-'));
const app = join(work, 'app');
let node24: string;
let tarball: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  const { stdout } = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
  });
  tarball = join(work, (JSON.parse(stdout) as [{ filename: string }])[0].filename);
  const generated = await run(
    'mcpArch',
    ['generate', 'app', '--pattern', 'single', '--yes', '--no-install', '--no-git'],
    { cwd: work },
  );
  expect(generated.exitCode, generated.stderr).toBe(0);
});

/**
 * What an install could change in the checkout: its manifests, the packages in its node_modules
 * (dot folders such as vitest's caches left out), its build and its top-level entries.
 */
function checkoutState(): Record<string, string> {
  const hash = (file: string) =>
    createHash('sha256')
      .update(readFileSync(join(ROOT, file)))
      .digest('hex');
  const modules = join(ROOT, 'node_modules');
  const packages = readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
    );
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = join(dir, entry.name);
      return entry.isDirectory() ? files(full) : [`${full} ${statSync(full).size} ${statSync(full).mtimeMs}`];
    });
  return {
    'package.json': hash('package.json'),
    'package-lock.json': hash('package-lock.json'),
    'node_modules/.package-lock.json': hash('node_modules/.package-lock.json'),
    'node_modules packages': packages.sort().join(' '),
    dist: files(join(ROOT, 'dist')).sort().join('\n'),
    entries: readdirSync(ROOT).sort().join(' '),
  };
}

/** `npm run verify` in `dir`: exit code and stdout without colours. */
async function npmRunVerify(dir: string): Promise<{ exitCode: number | undefined; stdout: string }> {
  const result = await execa('npm', ['run', 'verify'], {
    cwd: dir,
    env: envWithNode(node24),
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode, stdout: stripVTControlCharacters(`${result.stdout}\n${result.stderr}`) };
}

describe("npm run verify from the project's own create-mcp-arch", { timeout: 300_000 }, () => {
  it('links this checkout from a project generated here, and the install changes nothing in the checkout', async () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.scripts.verify).toBe('mcp-arch verify checklist');
    expect(pkg.devDependencies['create-mcp-arch']).toBe(`file:${ROOT}`);

    const before = checkoutState();
    await npmOk(app, ['install', '--no-audit', '--no-fund'], node24);
    expect(checkoutState()).toEqual(before);

    const linked = join(app, 'node_modules', 'create-mcp-arch');
    expect(lstatSync(linked).isSymbolicLink()).toBe(true);
    expect(realpathSync(linked)).toBe(realpathSync(ROOT));
    const verified = await npmRunVerify(app);
    expect(verified.exitCode, verified.stdout.slice(-4000)).toBe(0);
    expect(verified.stdout).toMatch(/\[security\.origin-validation\]/);
  });

  it('installs the packed CLI from its tarball and passes npm run verify', async () => {
    // What the README tells a user who generated from the tarball before it is published.
    await npmOk(app, ['pkg', 'set', `devDependencies.create-mcp-arch=file:${tarball}`], node24);
    await npmOk(app, ['install', '--no-audit', '--no-fund'], node24);
    const installed = join(app, 'node_modules', 'create-mcp-arch');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(existsSync(join(installed, 'src')), 'the package ships no sources').toBe(false);
    expect(realpathSync(join(app, 'node_modules', '.bin', 'mcp-arch'))).toBe(
      join(realpathSync(installed), 'bin', 'mcp-arch.js'),
    );

    const verified = await npmRunVerify(app);
    expect(verified.exitCode, verified.stdout.slice(-4000)).toBe(0);
    expect(verified.stdout).toMatch(/mcp-arch verify: app/);
    for (const id of [
      'pre-deployment.architecture-pattern',
      'security.origin-validation',
      'observability.structured-logging',
      'resilience.graceful-shutdown',
    ]) {
      expect(verified.stdout).toContain(`[${id}]`);
    }
    expect(verified.stdout).toMatch(/\d+ passed/);
    expect(verified.stdout).not.toMatch(/\d+ failed/);
  });

  it('fails npm run verify (exit 1) on a copy without its Dockerfile, naming the failed check', async () => {
    const broken = join(work, 'broken');
    cpSync(app, broken, { recursive: true, filter: (source) => source !== join(app, 'node_modules') });
    symlinkSync(join(app, 'node_modules'), join(broken, 'node_modules'));
    rmSync(join(broken, 'Dockerfile'));
    const verified = await npmRunVerify(broken);
    expect(verified.exitCode, verified.stdout.slice(-4000)).toBe(1);
    expect(verified.stdout).toMatch(/✖ .*\[pre-deployment\.architecture-pattern\]/);
    expect(verified.stdout).toMatch(/Dockerfile/);
  });
});
