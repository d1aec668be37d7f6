#!/usr/bin/env node
// Bundles the CLI into dist/ with every library inside it, so the published package has no
// runtime dependencies. The entry points are the ones the bin/ shims import; what --help does not
// need stays behind dynamic imports, which code splitting turns into chunks loaded on demand.
// Type-checking is not done here: `npm run typecheck` (tsc --noEmit).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const outdir = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** `../dist/cli/mcp-arch.js` in bin/mcp-arch.js -> entry `cli/mcp-arch` from src/cli/mcp-arch.ts. */
function entryPoints() {
  const entries = {};
  for (const [name, shim] of Object.entries(pkg.bin)) {
    const text = readFileSync(join(root, shim), 'utf8');
    const target = /import\(\s*['"]\.\.\/dist\/(.+?)\.js['"]\s*\)/.exec(text)?.[1];
    if (!target)
      throw new Error(
        `${shim} (bin ${name}) imports no ../dist/<entry>.js: the build cannot tell what to bundle for it`,
      );
    const source = join(root, 'src', `${target}.ts`);
    if (!existsSync(source))
      throw new Error(`${shim} (bin ${name}) imports dist/${target}.js, but src/${target}.ts does not exist`);
    entries[target] = source;
  }
  return entries;
}

/** `>=20.19` in package.json engines -> esbuild target `node20.19`. */
function nodeTarget() {
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines?.node ?? '')?.[1];
  if (!minimum)
    throw new Error(
      `package.json engines.node is ${JSON.stringify(pkg.engines?.node)}; the build needs the form ">=20.19" to pick its target`,
    );
  return `node${minimum}`;
}

/** The package folder (inside node_modules) that a bundled input file belongs to, or undefined for our own sources. */
function packageDirOf(file) {
  const parts = file.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const length = parts[at + 1]?.startsWith('@') ? 2 : 1;
  return parts.slice(0, at + 1 + length).join('/');
}

/** One notice per bundled package: name, version, license and its license text. */
function thirdPartyNotices(inputs) {
  const dirs = [...new Set(Object.keys(inputs).map(packageDirOf).filter(Boolean))];
  const notices = dirs
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      const licenseFile = readdirSync(join(root, dir)).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
      const text = licenseFile
        ? readFileSync(join(root, dir, licenseFile), 'utf8').trim()
        : `License: ${manifest.license ?? 'see the package'} (the package ships no license file)`;
      return { id: `${manifest.name}@${manifest.version}`, license: manifest.license ?? 'unknown', text };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const header = `${pkg.name} bundles the following packages into dist/. Their licenses follow.\n`;
  return `${header}\n${notices.map((n) => `## ${n.id} (${n.license})\n\n${n.text}\n`).join('\n')}`;
}

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: entryPoints(),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: nodeTarget(),
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace and syntax only: identifiers stay, so a stack trace in a bug report names real functions.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // Bundled CommonJS libraries (handlebars, ...) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});

// Everything is inside the bundle: an import of anything but Node itself would be a runtime dependency.
const builtins = new Set(builtinModules);
const outside = Object.entries(result.metafile.outputs).flatMap(([file, output]) =>
  output.imports
    .filter((i) => i.external && !i.path.startsWith('node:') && !builtins.has(i.path))
    .map((i) => `${relative(root, file)} imports ${i.path}`),
);
if (outside.length > 0) throw new Error(`the bundle imports packages it does not contain:\n  ${outside.join('\n  ')}`);

writeFileSync(join(outdir, 'THIRD-PARTY-NOTICES.md'), thirdPartyNotices(result.metafile.inputs));
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(
  `dist/: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB, target ${nodeTarget()}`,
);
