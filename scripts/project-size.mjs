#!/usr/bin/env node
// Files and lines of the generated projects: every pattern with its default options, plus the
// variants whose code depends on the store or deploy target. Rendered in memory by the
// generator in this checkout, or in another one (`--base <dir>`, e.g. an export of an older
// commit with node_modules beside it), to compare the two.
//
//   node scripts/project-size.mjs [--base <dir>] [--json]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

const { values } = parseArgs({ options: { base: { type: 'string' }, json: { type: 'boolean', default: false } } });
const root = resolve(values.base ?? resolve(import.meta.dirname, '..'));
register();

const { renderProject } = await import(pathToFileURL(resolve(root, 'test/render/rendered.ts')).href);
const { PATTERN_REGISTRY } = await import(pathToFileURL(resolve(root, 'src/patterns/index.ts')).href).catch(() => ({
  PATTERN_REGISTRY: undefined,
}));
const { PATTERNS } = PATTERN_REGISTRY
  ? { PATTERNS: undefined }
  : await import(pathToFileURL(resolve(root, 'src/core/patterns.ts')).href);

/** A pattern's default store and deploy targets, from whichever catalog the checkout has. */
function defaults(id) {
  const definition = PATTERN_REGISTRY?.get(id) ?? PATTERNS?.[id] ?? PATTERNS?.find?.((p) => p.id === id);
  if (!definition) throw new Error(`pattern ${id} is not in the catalog of ${root}`);
  const deploy = definition.defaultDeploy ?? definition.deploy?.default ?? definition.deployDefault;
  const stores = definition.stores;
  return {
    store: Array.isArray(stores) ? stores[0] : stores.default,
    deploy: [...deploy],
    sessionMode: definition.sessionModes?.[0] ?? 'stateless',
  };
}

const PATTERNS_IDS = ['single', 'multi-server', 'gateway', 'load-balanced', 'serverless', 'multi-region'];
const cases = [
  ...PATTERNS_IDS.map((pattern) => ({ label: `${pattern} (defaults)`, pattern })),
  { label: 'single on memory', pattern: 'single', store: 'memory' },
  { label: 'load-balanced on redis', pattern: 'load-balanced', store: 'redis' },
  { label: 'gateway on redis', pattern: 'gateway', store: 'redis' },
  { label: 'serverless lambda-only', pattern: 'serverless', deploy: ['lambda'] },
  { label: 'serverless vercel-only', pattern: 'serverless', deploy: ['vercel'] },
];

const rows = cases.map(({ label, pattern, ...chosen }) => {
  // The protocol posture is the CLI's default (older checkouts ignore it).
  const options = { name: 'size', pattern, authMode: 'apikey', protocol: 'dual', ...defaults(pattern), ...chosen };
  const { files } = renderProject(options);
  let lines = 0;
  for (const contents of files.values())
    lines += String(contents).split('\n').length - (String(contents).endsWith('\n') ? 1 : 0);
  return { project: label, store: options.store, deploy: options.deploy.join(','), files: files.size, lines };
});

if (values.json) console.log(JSON.stringify({ base: root, rows }, null, 2));
else {
  console.log(`| project | store | deploy | files | lines |\n|---|---|---|---:|---:|`);
  for (const r of rows) console.log(`| ${r.project} | ${r.store} | ${r.deploy} | ${r.files} | ${r.lines} |`);
}
