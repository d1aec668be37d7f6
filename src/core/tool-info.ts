import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm name generated projects depend on for `npm run verify`. */
export const GENERATOR_PACKAGE = 'create-mcp-arch';

/**
 * How a generated project names the generator that made it: the version goes to `mcp-arch.json`,
 * the spec to the project's devDependencies (`npm run verify` runs that package's `mcp-arch`).
 */
export interface GeneratorRef {
  version: string;
  /** `0.1.0` from an installed package; `file:/path/to/checkout` from a source checkout. */
  spec: string;
}

let cachedRoot: string | undefined;

/**
 * This package's root: the nearest folder above this module that holds a package.json. The same
 * answer from `src/core/` (tests), from the bundle's `dist/` files, and from an installed copy.
 */
export function packageRoot(): string {
  if (cachedRoot === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json'))) {
      const parent = dirname(dir);
      if (parent === dir)
        throw new Error(
          `no package.json above ${fileURLToPath(import.meta.url)}: the package is incomplete, reinstall ${GENERATOR_PACKAGE}`,
        );
      dir = parent;
    }
    cachedRoot = dir;
  }
  return cachedRoot;
}

let cachedTool: { name: string; version: string } | undefined;

/** This package's name and version, read once from its package.json. */
export function toolInfo(): { name: string; version: string } {
  if (!cachedTool) {
    try {
      const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      cachedTool = { name: pkg.name ?? GENERATOR_PACKAGE, version: pkg.version ?? '0.0.0' };
    } catch {
      cachedTool = { name: GENERATOR_PACKAGE, version: '0.0.0' };
    }
  }
  return cachedTool;
}

/**
 * The devDependency spec a generated project gets for this generator. An installed package (npx,
 * npm i -g, a tarball, pnpm/yarn/bun) lives inside a node_modules folder: its version, which the
 * registry serves. Anything else is a source checkout, whose version no registry has yet: a
 * `file:` link to the checkout, so that `npm install` in the project works today.
 */
export function generatorSpec(root: string, version: string): string {
  return root.split(/[\\/]/).includes('node_modules') ? version : `file:${root}`;
}

/** Whether a devDependency spec links a source checkout rather than naming a published version. */
export function isCheckoutSpec(spec: string): boolean {
  return spec.startsWith('file:');
}

/** This generator as generated projects name it. */
export function generatorRef(): GeneratorRef {
  const { version } = toolInfo();
  return { version, spec: generatorSpec(packageRoot(), version) };
}
