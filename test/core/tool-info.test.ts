import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toBlueprint } from '../../src/core/blueprint.js';
import type { ProjectOptions } from '../../src/core/options.js';
import {
  GENERATOR_PACKAGE,
  generatorRef,
  generatorSpec,
  isCheckoutSpec,
  packageRoot,
  toolInfo,
} from '../../src/core/tool-info.js';
import { loadTemplates } from '../../src/render/templates.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('generatorSpec: how a generated project depends on the generator', () => {
  it('names the version when the generator runs from an installed package', () => {
    for (const root of [
      '/home/me/.npm/_npx/4f1c2a/node_modules/create-mcp-arch',
      '/usr/lib/node_modules/create-mcp-arch',
      '/work/app/node_modules/.pnpm/create-mcp-arch@1.4.0/node_modules/create-mcp-arch',
      'C:\\Users\\me\\AppData\\npm-cache\\_npx\\1a2b\\node_modules\\create-mcp-arch',
    ]) {
      expect(generatorSpec(root, '1.4.0'), root).toBe('1.4.0');
    }
  });

  it('links the checkout with file: when the generator runs from a source checkout', () => {
    expect(generatorSpec('/home/me/src/create-mcp-arch', '1.4.0')).toBe('file:/home/me/src/create-mcp-arch');
    // A folder merely named like node_modules is no node_modules folder.
    expect(generatorSpec('/home/me/node_modules-tools/create-mcp-arch', '1.4.0')).toBe(
      'file:/home/me/node_modules-tools/create-mcp-arch',
    );
    expect(isCheckoutSpec('file:/home/me/src/create-mcp-arch')).toBe(true);
    expect(isCheckoutSpec('1.4.0')).toBe(false);
  });

  it('finds this checkout, its package.json and templates from the sources', () => {
    expect(packageRoot()).toBe(ROOT);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(toolInfo()).toEqual({ name: pkg.name, version: pkg.version });
    expect(pkg.name).toBe(GENERATOR_PACKAGE);
    // The tests run from the checkout: a file: link to it.
    expect(generatorRef()).toEqual({ version: pkg.version, spec: `file:${ROOT}` });
  });
});

describe('the generated package.json', () => {
  const options: ProjectOptions = {
    name: 'demo',
    pattern: 'single',
    store: 'memory',
    deploy: [],
    authMode: 'apikey',
    sessionMode: 'stateless',
    protocol: 'dual',
  };
  const { catalog } = loadTemplates();

  it('gets npm run verify from a dev dependency on the generator, never a bare mcp-arch package', () => {
    const published = toBlueprint(options, catalog, { version: '1.4.0', spec: '1.4.0' });
    expect(published.scripts.verify).toBe('mcp-arch verify checklist');
    expect(published.devDependencies[GENERATOR_PACKAGE]).toBe('1.4.0');
    expect(published.devDependencies['mcp-arch']).toBeUndefined();
    expect(published.dependencies[GENERATOR_PACKAGE]).toBeUndefined();
  });

  it('links a checkout in package.json while mcp-arch.json keeps the version', () => {
    const linked = toBlueprint(options, catalog, { version: '1.4.0', spec: 'file:/home/me/src/create-mcp-arch' });
    expect(linked.devDependencies[GENERATOR_PACKAGE]).toBe('file:/home/me/src/create-mcp-arch');
    expect(linked.manifest.generator.version).toBe('1.4.0');
  });
});
