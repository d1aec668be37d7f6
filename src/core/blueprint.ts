import { projectDocs } from '../components/docs.js';
import { configSchema, projectEnv, requiredEnv } from '../components/env.js';
import {
  AUTH_COMPONENTS,
  DEPLOY_COMPONENTS,
  storeComponents,
  tracing,
  type Component,
  type EnvVar,
} from '../components/index.js';
import { canRunSeveral, PATTERN_REGISTRY, type PatternOptions, type PatternRegistry } from '../patterns/index.js';
import type { DeployContext } from '../components/deploy.js';
import { composeFacts, composeFile, composeSummary, instanceNames } from '../render/compose.js';
import { k8sFacts, kustomizeBaseFiles } from '../render/kustomization.js';
import type { YamlFile } from '../render/yaml.js';
import { CATEGORY_TITLES, checklistFor, proofOf } from './checklist.js';
import { CHECK_CATEGORIES } from './ids.js';
import { assertCompatible } from './compat.js';
import { mermaidFor } from './diagram.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, type Manifest } from './manifest.js';
import { toTitle } from './package-name.js';
import { GENERATOR_PACKAGE, type GeneratorRef } from './tool-info.js';
import { generatedNode, versions } from './versions.js';

/** Template files per template folder (`templates/<folder>`), as paths relative to that folder. */
export type TemplateCatalog = Readonly<Record<string, readonly string[]>>;

/** One file of the plan. */
export type PlannedFile =
  | { destination: string; kind: 'template'; template: string; render: boolean }
  | { destination: string; kind: 'generated'; generator: 'package.json' | 'mcp-arch.json' }
  /** A document built as data from the components' contributions, serialised by the render step. */
  | { destination: string; kind: 'document'; format: 'yaml'; file: YamlFile }
  | { destination: string; kind: 'document'; format: 'json'; document: unknown };

/**
 * The plan of a project: everything needed to render it, and nothing that touches disk.
 * JSON-serialisable, so `--dry-run --json` prints exactly what would be generated.
 */
export interface Blueprint {
  generator: { name: 'create-mcp-arch'; version: string };
  options: PatternOptions;
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

/**
 * The files of a project: every template of every component, in component order, plus the
 * generated package.json and manifest. A later component may replace an earlier file only
 * when it says so (`Component.replaces`), and leaves one out the same way (`Component.omits`).
 */
export function planFiles(components: readonly Component[], catalog: TemplateCatalog): PlannedFile[] {
  const byDestination = new Map<string, PlannedFile>();
  for (const component of components) {
    const omits = new Set(component.omits ?? []);
    const missing = [...omits].filter((destination) => byDestination.get(destination)?.kind !== 'template');
    if (missing.length > 0)
      throw new Error(
        `component ${component.id} declares it omits ${missing.join(', ')}, but no earlier template writes it`,
      );
    for (const destination of omits) byDestination.delete(destination);
    const replaces = new Set(component.replaces ?? []);
    const replaced = new Set<string>();
    for (const folder of component.templates) {
      for (const file of catalog[folder] ?? []) {
        const { destination, render } = destinationOf(file);
        if (omits.has(destination))
          throw new Error(
            `component ${component.id} both omits and writes ${destination} (${folder}/${file}): name it in replaces instead`,
          );
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
    if (stale.length > 0)
      throw new Error(
        `component ${component.id} declares it replaces ${stale.join(', ')}, but no earlier template writes it`,
      );
  }
  for (const generator of ['package.json', MANIFEST_FILE] as const) {
    byDestination.set(generator, { destination: generator, kind: 'generated', generator });
  }
  return [...byDestination.values()].sort((a, b) => a.destination.localeCompare(b.destination));
}

/** Adds the documents the components build as data; a path a template already writes is a mistake. */
function addDocuments(files: PlannedFile[], components: readonly Component[], context: DeployContext): void {
  const planned: PlannedFile[] = [];
  for (const component of components) {
    const { composeFile: composePath, documents, kustomizeBase } = component.deploy ?? {};
    if (composePath)
      planned.push({
        destination: composePath,
        kind: 'document',
        format: 'yaml',
        file: composeFile(components, context),
      });
    if (kustomizeBase) {
      const resources = files.flatMap(({ destination }) =>
        destination.startsWith(`${kustomizeBase}/`) && destination.endsWith('.yaml')
          ? [destination.slice(kustomizeBase.length + 1)]
          : [],
      );
      for (const [destination, file] of Object.entries(kustomizeBaseFiles(components, context, resources)))
        planned.push({ destination, kind: 'document', format: 'yaml', file });
    }
    for (const [destination, document] of Object.entries(documents?.(context) ?? {}))
      planned.push({ destination, kind: 'document', format: 'json', document });
  }
  for (const file of planned) {
    const clash = files.find((existing) => existing.destination === file.destination);
    if (clash)
      throw new Error(
        `two components write ${file.destination}: ${clash.kind === 'template' ? clash.template : clash.kind} and a document built as data`,
      );
    files.push(file);
  }
  files.sort((a, b) => a.destination.localeCompare(b.destination));
}

/**
 * Options -> plan. Pure: the template catalog is passed in. The pattern is looked up in
 * `patterns` (the built-in registry unless given), so a pattern is its definition and its templates.
 */
export function toBlueprint(
  options: PatternOptions,
  catalog: TemplateCatalog,
  generator: string | GeneratorRef,
  patterns: PatternRegistry = PATTERN_REGISTRY,
): Blueprint {
  // A bare version names the generator both ways (a published package).
  const { version: generatorVersion, spec: generatorSpec } =
    typeof generator === 'string' ? { version: generator, spec: generator } : generator;
  const pattern = assertCompatible(options, patterns);
  const components = [
    ...pattern.components,
    ...storeComponents(options.store, { replicated: canRunSeveral(pattern) }),
    ...(AUTH_COMPONENTS[options.authMode] ? [AUTH_COMPONENTS[options.authMode]!] : []),
    ...options.deploy.flatMap((target) => (DEPLOY_COMPONENTS[target] ? [DEPLOY_COMPONENTS[target]] : [])),
    ...options.deploy.flatMap((target) => pattern.deployComponents?.[target] ?? []),
    ...(options.tracing ? [tracing] : []),
  ];
  const instances = pattern.instances(options);
  const componentIds = components.map((c) => c.id);

  const files = planFiles(components, catalog);

  const pick = (names: readonly (keyof typeof versions | typeof GENERATOR_PACKAGE)[]) =>
    sorted(Object.fromEntries(names.map((n) => [n, n === GENERATOR_PACKAGE ? generatorSpec : versions[n]])));
  const dependencies = pick(components.flatMap((c) => c.dependencies ?? []));
  const devDependencies = pick(components.flatMap((c) => c.devDependencies ?? []));
  const scripts = Object.assign({}, ...components.map((c) => c.scripts ?? {})) as Record<string, string>;
  const env = projectEnv(components, options);
  const checklist = checklistFor(pattern);
  const title = toTitle(options.name);
  const description = `MCP server (${pattern.title.toLowerCase()} pattern) generated by create-mcp-arch`;
  const port = Number(env.find((v) => v.name === 'PORT')?.default ?? 3000);
  const deployContext: DeployContext = { name: options.name, title, port, options, instances, env };
  addDocuments(files, components, deployContext);

  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    generator: { name: 'create-mcp-arch', version: generatorVersion },
    name: options.name,
    pattern: options.pattern,
    store: options.store,
    sessionMode: options.sessionMode,
    protocol: options.protocol,
    authMode: options.authMode,
    deploy: [...options.deploy],
    ...(options.tracing ? { tracing: true } : {}),
    components: componentIds,
    checks: checklist.map((item) => item.id),
    instances,
    requiredFiles: pattern.requiredFiles.map((required) => ({ ...required })),
    env: env.map((variable) => variable.name),
    start: {
      command: 'npm start',
      portEnv: 'PORT',
      port,
      healthPath: '/health',
      readyPath: '/ready',
      metricsPath: '/metrics',
      mcpPath: '/mcp',
      build: 'npm run build',
      run: 'node dist/index.js',
      slowTool: { name: pattern.slowTool.name, arguments: { ...pattern.slowTool.arguments } },
    },
  };

  const variables = {
    name: options.name,
    title,
    description,
    pattern: options.pattern,
    patternTitle: pattern.title,
    store: options.store,
    sessionMode: options.sessionMode,
    protocol: options.protocol,
    authMode: options.authMode,
    port,
    instances,
    /** The app's instances where Compose and nginx name them: app-1 .. app-N. */
    instanceNames: instanceNames(deployContext),
    /** Files the runtime image copies beside dist/, contributed by components. */
    imageFiles: components.flatMap((c) => (c.deploy?.image ? [c.deploy.image] : [])),
    /** What compose.yaml runs and the variables it needs from the environment (.env), when the project has it. */
    compose: composeFacts(components, deployContext),
    /** What the components add to the Kubernetes base (ConfigMap settings, Secret keys, egress), when the project has it. */
    k8s: k8sFacts(components, deployContext),
    /** Several instances can run (the pattern is built for replicas): they share rate limits through a store. */
    replicated: canRunSeveral(pattern),
    deploy: Object.fromEntries(
      (['docker', 'compose', 'k8s', 'lambda', 'vercel'] as const).map((t) => [t, options.deploy.includes(t)]),
    ),
    node: { engines: generatedNode.engines, ci: [...generatedNode.ci], docker: generatedNode.docker },
    generatorVersion,
    mermaid: mermaidFor(pattern, options, componentIds, composeSummary(components, deployContext)),
    readmeSections: components.flatMap((c) => (c.readme ? [c.readme] : [])),
    checklist: checklist.map((item) => ({
      id: item.id,
      title: item.title,
      category: item.category,
      proof: proofOf(item, pattern),
    })),
    /** CHECKLIST.md's sections, in the order reports show them. */
    checklistCategories: CHECK_CATEGORIES.map((id) => ({ id, heading: CATEGORY_TITLES[id] })),
    env,
    /** The fields of the configuration schema in src/config.ts, from the declarations. */
    configSchema: configSchema(env),
    /** Variables whose values are never shown (errors show their length). */
    secretVariables: env
      .filter((variable) => variable.secret && variable.schema !== undefined)
      .map((variable) => variable.name),
    /** Names of the variables to set before the project starts with its `.env.example` settings. */
    requiredEnv: requiredEnv(env).map((variable) => variable.name),
    /** What vitest.config.ts sets for the suite: the longest limit a component asks for, and the variables they set. */
    tests: {
      timeoutMs: Math.max(...components.map((c) => c.tests?.timeoutMs ?? 0)),
      env: components.flatMap((c) => c.tests?.env ?? []),
    },
    ...projectDocs(components, options.store),
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
