import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { versions } from '../../src/core/versions.js';
import { WORKSPACE } from './programs.js';

const ROOT = join(WORKSPACE, '..');

/** What templates/package.json pins that versions.ts does not, or pins differently, or lacks. */
function drift(pinned: Record<string, string>, declared: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, version] of Object.entries(pinned)) {
    if (declared[name] === undefined) problems.push(`${name}: missing (versions.ts pins ${version})`);
    else if (declared[name] !== version) problems.push(`${name}: ${declared[name]} (versions.ts pins ${version})`);
  }
  for (const [name, version] of Object.entries(declared)) {
    if (pinned[name] === undefined) problems.push(`${name}: ${version} (versions.ts does not pin it)`);
  }
  return problems;
}

/** The copy of a package that a file in the workspace imports: the workspace's own, else the hoisted one. */
function installedVersion(name: string): string | undefined {
  for (const dir of [join(WORKSPACE, 'node_modules', name), join(ROOT, 'node_modules', name)]) {
    if (existsSync(join(dir, 'package.json'))) return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  }
  return undefined;
}

describe('the templates workspace', () => {
  const pkg = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')) as {
    private?: boolean;
    type?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] };

  it('pins exactly what src/core/versions.ts pins, at the same versions', () => {
    const declared = { ...pkg.dependencies, ...pkg.devDependencies };
    const expected = JSON.stringify({ devDependencies: Object.fromEntries(Object.entries(versions).sort(([a], [b]) => a.localeCompare(b))) }, null, 2);
    expect(drift(versions, declared), `templates/package.json should hold:\n${expected}\nthen run npm install at the repository root`).toEqual([]);
  });

  it('tells apart a missing, an extra and a differing pin', () => {
    expect(drift({ hono: '4.0.0', zod: '4.0.0' }, { hono: '4.0.1', pino: '10.0.0' })).toEqual([
      'hono: 4.0.1 (versions.ts pins 4.0.0)',
      'zod: missing (versions.ts pins 4.0.0)',
      'pino: 10.0.0 (versions.ts does not pin it)',
    ]);
    expect(drift({ hono: '4.0.0' }, { hono: '4.0.0' })).toEqual([]);
  });

  it('is a private ES module workspace of the root package, installed by its npm ci', () => {
    expect(pkg.private).toBe(true);
    // Generated projects are ES modules; tsc reads the .ts files of the workspace the same way.
    expect(pkg.type).toBe('module');
    expect(root.workspaces).toContain('templates');
  });

  it('has the pinned version of every package installed where its files resolve it', () => {
    const stale = Object.entries(versions).filter(([name, version]) => installedVersion(name) !== version);
    expect(stale.map(([name, version]) => `${name}: installed ${installedVersion(name) ?? 'nothing'}, pinned ${version}`), 'run npm install at the repository root').toEqual([]);
  });
});
