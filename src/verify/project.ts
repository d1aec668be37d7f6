import path from 'node:path';
import { parseAllDocuments, parseDocument, type Document } from 'yaml';
import type { StaticContext } from './check.js';
import { lineAt } from './context.js';
import { importsOf, isReferenced, sourceFile, sourceFiles, exportedNames, type SourceFile } from './source.js';

/** Project readers shared by the checks. Each one reads through the context's cache. */

export const ENV_EXAMPLE = '.env.example';
export const DOCKERFILE = 'Dockerfile';
export const APP_FILE = 'src/app.ts';
export const ENTRY_FILE = 'src/index.ts';
export const ALERTS_FILE = 'monitoring/alerts.yml';
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;

export interface EnvEntry {
  value: string;
  line: number;
}

/** `.env.example` as name -> value, or `undefined` when the file is missing. */
export async function envExample(ctx: StaticContext): Promise<Map<string, EnvEntry> | undefined> {
  const text = await ctx.readFile(ENV_EXAMPLE);
  if (text === undefined) return undefined;
  const out = new Map<string, EnvEntry>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(raw);
    if (!match) return;
    let value = (match[2] as string).trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] as string;
    else value = value.replace(/\s+#.*$/, '');
    out.set(match[1] as string, { value, line: index + 1 });
  });
  return out;
}

export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile (continuations joined), or `undefined` when it is missing. */
export async function dockerfile(ctx: StaticContext, file = DOCKERFILE): Promise<DockerInstruction[] | undefined> {
  const text = await ctx.readFile(file);
  if (text === undefined) return undefined;
  const out: DockerInstruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = (lines[i] as string).trim();
    if (!line || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = (lines[i] as string).trim();
      line = `${line.slice(0, -1)} ${next.startsWith('#') ? '' : next}`;
    }
    const match = /^(\w+)\s*(.*)$/s.exec(line);
    if (match) out.push({ keyword: (match[1] as string).toUpperCase(), args: (match[2] as string).trim(), line: start + 1 });
  }
  return out;
}

/** A parsed YAML document with a Kubernetes `apiVersion` and `kind`. */
export interface K8sObject {
  file: string;
  line: number;
  kind: string;
  name: string;
  /** The document as plain data. */
  body: Record<string, unknown>;
  /** True when a kustomization uses the file as a patch rather than a resource. */
  patch: boolean;
}

const YAML_FILE = /\.ya?ml$/;
const NOT_K8S_DIRS = /^(?:\.github|monitoring)\//;

/**
 * Kubernetes objects in the project's YAML files. Files a kustomization names as patches are
 * marked, because a patch is a fragment (no containers) and must not be judged as a resource.
 */
export function k8sObjects(ctx: StaticContext): Promise<K8sObject[]> {
  let pending = k8sCache.get(ctx);
  if (!pending) {
    pending = readK8sObjects(ctx);
    k8sCache.set(ctx, pending);
  }
  return pending;
}

const k8sCache = new WeakMap<StaticContext, Promise<K8sObject[]>>();

async function readK8sObjects(ctx: StaticContext): Promise<K8sObject[]> {
  const files = (await ctx.listFiles()).filter((file) => YAML_FILE.test(file) && !NOT_K8S_DIRS.test(file));
  const objects: K8sObject[] = [];
  const patchFiles = new Set<string>();
  for (const file of files) {
    const text = await ctx.readFile(file);
    if (text === undefined) continue;
    for (const doc of parseAllDocuments(text)) {
      if (!('errors' in doc)) continue;
      if (doc.errors.length > 0) {
        // A manifest that does not parse cannot be judged; the runner reports the check as skipped.
        if (/^\s*apiVersion:/m.test(text) && /^\s*kind:/m.test(text)) {
          throw new Error(`${file} does not parse as YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'syntax error'}`);
        }
        continue;
      }
      const body = (doc as Document).toJS() as unknown;
      if (!isRecord(body) || typeof body.apiVersion !== 'string' || typeof body.kind !== 'string') continue;
      const metadata = isRecord(body.metadata) ? body.metadata : {};
      const start = (doc as Document).contents?.range?.[0] ?? 0;
      objects.push({ file, line: lineAt(text, start), kind: body.kind, name: typeof metadata.name === 'string' ? metadata.name : '', body, patch: false });
      if (body.kind === 'Kustomization') {
        for (const patchPath of kustomizationPatches(body)) patchFiles.add(path.posix.normalize(path.posix.join(path.posix.dirname(file), patchPath)));
      }
    }
  }
  for (const object of objects) object.patch = patchFiles.has(object.file);
  return objects;
}

function kustomizationPatches(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ['patches', 'patchesStrategicMerge', 'patchesJson6902']) {
    const list = body[key];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (typeof entry === 'string') out.push(entry);
      else if (isRecord(entry) && typeof entry.path === 'string') out.push(entry.path);
    }
  }
  return out;
}

/** Kubernetes resources of a kind (patches excluded). */
export function resourcesOf(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind && !object.patch);
}

/** Whether the project ships Kubernetes manifests. */
export function hasK8s(objects: readonly K8sObject[]): boolean {
  return objects.some((object) => object.kind !== 'Kustomization' && !object.patch);
}

export interface ComposeFile {
  file: string;
  body: Record<string, unknown>;
  services: Record<string, Record<string, unknown>>;
}

/** The Compose file, or `undefined` when there is none. Throws when it does not parse. */
export async function composeFile(ctx: StaticContext): Promise<ComposeFile | undefined> {
  for (const file of COMPOSE_FILES) {
    const text = await ctx.readFile(file);
    if (text === undefined) continue;
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${file} does not parse: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const body = doc.toJS() as unknown;
    const record = isRecord(body) ? body : {};
    const services: Record<string, Record<string, unknown>> = {};
    if (isRecord(record.services)) {
      for (const [name, service] of Object.entries(record.services)) if (isRecord(service)) services[name] = service;
    }
    return { file, body: record, services };
  }
  return undefined;
}

/** Compose services that run this project (built from its own Dockerfile). */
export function appServices(compose: ComposeFile): [string, Record<string, unknown>][] {
  return Object.entries(compose.services).filter(([, service]) => {
    const build = service.build;
    if (typeof build === 'string') return build === '.' || build === './';
    if (isRecord(build)) return build.context === undefined || build.context === '.' || build.context === './';
    return false;
  });
}

/** Where the project's replica count comes from, and the largest count any artifact asks for. */
export interface Replicas {
  /** Largest number of instances any artifact or the pattern itself implies. */
  max: number;
  evidence: string[];
}

/** Patterns that run more than one instance by construction. */
const MULTI_INSTANCE_PATTERNS: Record<string, string> = {
  'load-balanced': 'the load-balanced pattern runs several replicas',
  'multi-region': 'the multi-region pattern runs an instance per region',
  serverless: 'serverless platforms run one instance per concurrent invocation',
};

export async function replicas(ctx: StaticContext): Promise<Replicas> {
  const evidence: string[] = [];
  let max = 1;
  const raise = (count: number, why: string) => {
    if (count > 1) evidence.push(why);
    max = Math.max(max, count);
  };
  const patternReason = MULTI_INSTANCE_PATTERNS[ctx.manifest.pattern];
  if (patternReason) raise(2, patternReason);
  const objects = await k8sObjects(ctx);
  for (const object of objects) {
    const spec = isRecord(object.body.spec) ? object.body.spec : {};
    if ((object.kind === 'Deployment' || object.kind === 'StatefulSet') && typeof spec.replicas === 'number') {
      raise(spec.replicas, `${object.file}: ${object.kind} ${object.name} has replicas: ${spec.replicas}`);
    }
    if (object.kind === 'HorizontalPodAutoscaler' && typeof spec.maxReplicas === 'number') {
      raise(spec.maxReplicas, `${object.file}: HorizontalPodAutoscaler ${object.name} scales to ${spec.maxReplicas}`);
    }
  }
  const compose = await composeFile(ctx);
  if (compose) {
    const count = composeInstances(compose);
    raise(count, `${compose.file}: ${count} instances of the app`);
  }
  return { max, evidence };
}

/**
 * How many instances of one program the Compose file runs. Services built from the project
 * that run the same command are replicas; services with different commands (several example
 * servers, a worker) are different programs and do not add up.
 */
export function composeInstances(compose: ComposeFile): number {
  const byCommand = new Map<string, number>();
  for (const [, service] of appServices(compose)) {
    const deploy = isRecord(service.deploy) ? service.deploy : {};
    const count = typeof deploy.replicas === 'number' ? deploy.replicas : typeof service.scale === 'number' ? service.scale : 1;
    const key = JSON.stringify([service.command ?? null, service.entrypoint ?? null]);
    byCommand.set(key, (byCommand.get(key) ?? 0) + count);
  }
  return Math.max(0, ...byCommand.values());
}

/** How a middleware module is wired into the app. */
export interface MiddlewareWiring {
  /** The middleware module, when one was found. */
  module?: SourceFile;
  /** The app file that imports and uses it, when it does. */
  usedIn?: string;
  /** Exported names of the module that the app references. */
  used: string[];
}

/**
 * Finds the middleware module whose file name matches `name` (under `src/middleware/`) and
 * whether `src/app.ts` imports one of its exports and uses it outside the import.
 */
export async function middlewareWiring(ctx: StaticContext, name: RegExp): Promise<MiddlewareWiring> {
  const candidates = (await ctx.listFiles('src/middleware')).filter((file) => /\.[cm]?[jt]s$/.test(file) && !/\.(test|spec)\./.test(file) && name.test(path.posix.basename(file)));
  const app = await sourceFile(ctx, APP_FILE);
  let unused: MiddlewareWiring | undefined;
  for (const file of candidates) {
    const module = await sourceFile(ctx, file);
    if (!module) continue;
    const used = app ? usedExports(app.code, module, file) : [];
    if (used.length > 0) return { module, used, usedIn: APP_FILE };
    unused ??= { module, used: [] };
  }
  return unused ?? { used: [] };
}

/** Exports of a middleware module that the app imports and references outside the import. */
function usedExports(appCode: string, module: SourceFile, file: string): string[] {
  const stem = path.posix.basename(file).replace(/\.[cm]?[jt]s$/, '');
  const fromApp = path.posix.relative(path.posix.dirname(APP_FILE), file).replace(/\.[cm]?[jt]s$/, '');
  const isModule = (specifier: string) => {
    const bare = specifier.replace(/\.(?:[cm]?js|[cm]?ts)$/, '').replace(/\/index$/, '');
    return bare === `./${fromApp}` || bare === fromApp || bare.endsWith(`/middleware/${stem}`);
  };
  const exported = new Set(exportedNames(module.code));
  const used: string[] = [];
  for (const imported of importsOf(appCode, isModule)) {
    for (const local of imported.names) if (isReferenced(appCode, local)) used.push(local);
  }
  // Type-only names wire nothing; prefer exports the module really defines.
  return used.filter((local) => exported.size === 0 || exported.has(local) || !/^[A-Z]/.test(local));
}

/** All source files, memoised per context. */
const sourcesCache = new WeakMap<StaticContext, Promise<SourceFile[]>>();
export function sources(ctx: StaticContext): Promise<SourceFile[]> {
  let pending = sourcesCache.get(ctx);
  if (!pending) {
    pending = sourceFiles(ctx);
    sourcesCache.set(ctx, pending);
  }
  return pending;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Containers of a workload (Deployment, StatefulSet, ...), as plain records. */
export function containersOf(object: K8sObject): Record<string, unknown>[] {
  const spec = isRecord(object.body.spec) ? object.body.spec : {};
  const template = isRecord(spec.template) ? spec.template : {};
  const podSpec = isRecord(template.spec) ? template.spec : {};
  return Array.isArray(podSpec.containers) ? podSpec.containers.filter(isRecord) : [];
}

/** Workloads that run the app: Deployments and StatefulSets (patches excluded). */
export function workloads(objects: readonly K8sObject[]): K8sObject[] {
  return objects.filter((object) => (object.kind === 'Deployment' || object.kind === 'StatefulSet') && !object.patch);
}

/** Reads a dotted path from plain data. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

const THIRD_PARTY_IMAGE = /(?:^|\/)(?:redis|valkey|postgres|cockroach|nginx|haproxy|envoy|traefik|otel|prometheus|grafana|jaeger)[^/]*$/i;

/** App containers of the project's workloads: third-party images (stores, proxies) excluded. */
export function appContainers(objects: readonly K8sObject[]): { workload: K8sObject; container: Record<string, unknown> }[] {
  const out: { workload: K8sObject; container: Record<string, unknown> }[] = [];
  for (const workload of workloads(objects)) {
    for (const container of containersOf(workload)) {
      const image = typeof container.image === 'string' ? container.image.split(':')[0] ?? '' : '';
      if (!THIRD_PARTY_IMAGE.test(image)) out.push({ workload, container });
    }
  }
  return out;
}

/** Values a deployed environment sets for a variable: Kubernetes ConfigMaps and env lists, Compose environments. */
export async function configuredValues(ctx: StaticContext, name: string): Promise<{ file: string; line?: number; value: string }[]> {
  const out: { file: string; line?: number; value: string }[] = [];
  for (const object of await k8sObjects(ctx)) {
    if (object.kind === 'ConfigMap') {
      const value = dig(object.body, 'data', name);
      if (typeof value === 'string') out.push({ file: object.file, line: object.line, value });
    }
    const containers = dig(object.body, 'spec', 'template', 'spec', 'containers');
    if (Array.isArray(containers)) {
      for (const container of containers) {
        const envList = dig(container, 'env');
        if (!Array.isArray(envList)) continue;
        for (const entry of envList) {
          if (isRecord(entry) && entry.name === name && typeof entry.value === 'string') out.push({ file: object.file, line: object.line, value: entry.value });
        }
      }
    }
  }
  const compose = await composeFile(ctx);
  for (const service of Object.values(compose?.services ?? {})) {
    const environment = service.environment;
    let value: unknown;
    if (isRecord(environment)) value = environment[name];
    else if (Array.isArray(environment)) {
      const entry = environment.find((line) => typeof line === 'string' && line.startsWith(`${name}=`));
      value = typeof entry === 'string' ? entry.slice(name.length + 1) : undefined;
    }
    if (typeof value === 'string' && compose) out.push({ file: compose.file, value });
  }
  return out;
}
