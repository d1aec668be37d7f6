import { DEPLOY_COMPONENTS, GENERATORS, STORE_COMPONENTS, type Component, type EnvVar } from '../components/index.js';
import { checklistFor } from './checklist.js';
import { assertCompatible } from './compat.js';
import { mermaidFor } from './diagram.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, type Manifest } from './manifest.js';
import type { ProjectOptions } from './options.js';
import { toTitle } from './package-name.js';
import { PATTERNS } from './patterns.js';
import { generatedNode, versions } from './versions.js';

/** Template files per template folder (`templates/<folder>`), as paths relative to that folder. */
export type TemplateCatalog = Readonly<Record<string, readonly string[]>>;

/** One file of the plan. */
export type PlannedFile =
  | { destination: string; kind: 'template'; template: string; render: boolean }
  | { destination: string; kind: 'generated'; generator: 'package.json' | 'mcp-arch.json' };

/**
 * The plan of a project: everything needed to render it, and nothing that touches disk.
 * JSON-serialisable, so `--dry-run --json` prints exactly what would be generated.
 */
export interface Blueprint {
  generator: { name: 'create-mcp-arch'; version: string };
  options: ProjectOptions;
  title: string;
  description: string;
  components: string[];
  files: PlannedFile[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
  env: EnvVar[];
  checks: string[];
  manifest: Manifest;
  /** Variables every `.hbs` template sees (docs/generated-project.md). */
  variables: Record<string, unknown>;
}

/**
 * Where a template file lands: `.hbs` dropped, and a path segment starting with `_` written
 * with a `.` (npm drops some dotfiles from published packages, so templates cannot hold them).
 */
export function destinationOf(templatePath: string): { destination: string; render: boolean } {
  const render = templatePath.endsWith('.hbs');
  const stripped = render ? templatePath.slice(0, -'.hbs'.length) : templatePath;
  const destination = stripped
    .split('/')
    .map((segment) => (segment.startsWith('_') ? `.${segment.slice(1)}` : segment))
    .join('/');
  return { destination, render };
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** The environment variables with the defaults this project was generated with. */
function envWithDefaults(components: Component[], options: ProjectOptions): EnvVar[] {
  const overrides: Record<string, string> = { AUTH_MODE: options.authMode, SESSION_MODE: options.sessionMode, SESSION_STORE: options.store };
  const seen = new Map<string, EnvVar>();
  for (const component of components) {
    for (const variable of component.env ?? []) {
      seen.set(variable.name, { ...variable, default: overrides[variable.name] ?? variable.default });
    }
  }
  return [...seen.values()];
}

/**
 * The files of a project: every template of every component, in component order, plus the
 * generated package.json and manifest. A later component may replace an earlier file only
 * when it says so (`Component.replaces`).
 */
export function planFiles(components: readonly Component[], catalog: TemplateCatalog): PlannedFile[] {
  const byDestination = new Map<string, PlannedFile>();
  for (const component of components) {
    const replaces = new Set(component.replaces ?? []);
    const replaced = new Set<string>();
    for (const folder of component.templates) {
      for (const file of catalog[folder] ?? []) {
        const { destination, render } = destinationOf(file);
        const previous = byDestination.get(destination);
        if (previous?.kind === 'template') {
          if (!replaces.has(destination)) {
            throw new Error(`two templates write ${destination}: ${previous.template} and ${folder}/${file}`);
          }
          replaced.add(destination);
        }
        byDestination.set(destination, { destination, kind: 'template', template: `${folder}/${file}`, render });
      }
    }
    const stale = [...replaces].filter((destination) => !replaced.has(destination));
    if (stale.length > 0) throw new Error(`component ${component.id} declares it replaces ${stale.join(', ')}, but no earlier template writes it`);
  }
  for (const generator of ['package.json', MANIFEST_FILE] as const) {
    byDestination.set(generator, { destination: generator, kind: 'generated', generator });
  }
  return [...byDestination.values()].sort((a, b) => a.destination.localeCompare(b.destination));
}

/** Options -> plan. Pure: the template catalog is passed in. */
export function toBlueprint(options: ProjectOptions, catalog: TemplateCatalog, generatorVersion: string): Blueprint {
  assertCompatible(options);
  const support = GENERATORS[options.pattern]!;
  const components = [
    ...support.components,
    ...(STORE_COMPONENTS[options.store] ? [STORE_COMPONENTS[options.store]!] : []),
    ...options.deploy.flatMap((target) => (DEPLOY_COMPONENTS[target] ? [DEPLOY_COMPONENTS[target]] : [])),
    ...options.deploy.flatMap((target) => support.deployComponents?.[target] ?? []),
  ];
  const componentIds = components.map((c) => c.id);

  const files = planFiles(components, catalog);

  const pick = (names: readonly (keyof typeof versions)[]) => sorted(Object.fromEntries(names.map((n) => [n, versions[n]])));
  const dependencies = pick(components.flatMap((c) => c.dependencies ?? []));
  const devDependencies = pick(components.flatMap((c) => c.devDependencies ?? []));
  const scripts = Object.assign({}, ...components.map((c) => c.scripts ?? {})) as Record<string, string>;
  const env = envWithDefaults(components, options);
  const checklist = checklistFor(options.pattern);
  const pattern = PATTERNS[options.pattern];
  const title = toTitle(options.name);
  const description = `MCP server (${pattern.title.toLowerCase()} pattern) generated by create-mcp-arch`;
  const port = Number(env.find((v) => v.name === 'PORT')?.default ?? 3000);

  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    generator: { name: 'create-mcp-arch', version: generatorVersion },
    name: options.name,
    pattern: options.pattern,
    store: options.store,
    sessionMode: options.sessionMode,
    authMode: options.authMode,
    deploy: [...options.deploy],
    components: componentIds,
    checks: checklist.map((item) => item.id),
    start: { command: 'npm start', portEnv: 'PORT', port, healthPath: '/health', readyPath: '/ready', metricsPath: '/metrics', mcpPath: '/mcp',
      build: 'npm run build', run: 'node dist/index.js',
      // The gateway serves its example backend's tools, not the base tools.
      slowTool: options.pattern === 'gateway' ? { name: 'slow', arguments: { steps: 5, ms: 300 } } : { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } } },
  };

  const variables = {
    name: options.name,
    title,
    description,
    pattern: options.pattern,
    patternTitle: pattern.title,
    store: options.store,
    sessionMode: options.sessionMode,
    authMode: options.authMode,
    port,
    deploy: Object.fromEntries((['docker', 'compose', 'k8s', 'lambda', 'vercel'] as const).map((t) => [t, options.deploy.includes(t)])),
    node: { engines: generatedNode.engines, ci: [...generatedNode.ci], docker: generatedNode.docker },
    generatorVersion,
    mermaid: mermaidFor(options, componentIds),
    readmeSections: components.flatMap((c) => (c.readme ? [c.readme] : [])),
    checklist: checklist.map(({ id, title: itemTitle, category }) => ({ id, title: itemTitle, category })),
    env,
  };

  return {
    generator: { name: 'create-mcp-arch', version: generatorVersion },
    options,
    title,
    description,
    components: componentIds,
    files,
    dependencies,
    devDependencies,
    scripts,
    env,
    checks: manifest.checks,
    manifest,
    variables,
  };
}
