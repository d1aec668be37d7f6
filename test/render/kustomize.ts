import { posix } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/**
 * `kustomize build` for exactly what the generated manifests use: resources (files and
 * directories), `labels` (with includeSelectors/includeTemplates), `images`, and `patches` with
 * a target and a JSON 6902 patch. Anything else is refused, so a kustomization that uses more
 * fails here instead of being half-built.
 */
export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
};

type Files = ReadonlyMap<string, string>;

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'labels', 'images', 'patches']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

interface Kustomization {
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target?: { kind?: string; name?: string }; patch?: string; path?: string }>;
}

/** Builds the kustomization in `dir` of a generated project (`files`: path -> contents). */
export function kustomizeBuild(files: Files, dir: string): K8sObject[] {
  const file = posix.join(dir, 'kustomization.yaml');
  const text = files.get(file);
  if (text === undefined) throw new Error(`${file} does not exist`);
  const kustomization = parse(text) as Kustomization & Record<string, unknown>;
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED.has(key)) throw new Error(`${file}: field ${key} is not supported by this build`);
  }
  let objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = posix.normalize(posix.join(dir, resource));
    if (files.has(posix.join(path, 'kustomization.yaml'))) {
      objects.push(...kustomizeBuild(files, path));
      continue;
    }
    const contents = files.get(path);
    if (contents === undefined) throw new Error(`${file}: resource ${resource} (${path}) does not exist`);
    for (const document of parseAllDocuments(contents)) {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]!.message}`);
      const value = document.toJS() as K8sObject | null;
      if (value) objects.push(value);
    }
  }
  objects = structuredClone(objects);
  for (const patch of kustomization.patches ?? []) applyPatch(file, objects, patch);
  for (const label of kustomization.labels ?? []) {
    for (const object of objects) {
      object.metadata.labels = { ...object.metadata.labels, ...label.pairs };
      const spec = object.spec as
        | {
            selector?: { matchLabels?: Record<string, string> };
            template?: { metadata?: { labels?: Record<string, string> } };
          }
        | undefined;
      if (WORKLOADS.has(object.kind) && spec?.template && (label.includeTemplates || label.includeSelectors)) {
        spec.template.metadata = {
          ...spec.template.metadata,
          labels: { ...spec.template.metadata?.labels, ...label.pairs },
        };
      }
      if (label.includeSelectors)
        throw new Error(`${file}: labels with includeSelectors are not supported by this build`);
    }
  }
  for (const image of kustomization.images ?? []) {
    for (const object of objects) {
      const containers =
        (object.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined)?.template
          ?.spec?.containers ?? [];
      for (const container of containers) {
        const [name, tag] = (container.image ?? '').split(':');
        if (name !== image.name) continue;
        container.image = `${image.newName ?? name}:${image.newTag ?? tag}`;
      }
    }
  }
  return objects;
}

function applyPatch(file: string, objects: K8sObject[], patch: NonNullable<Kustomization['patches']>[number]): void {
  if (patch.path !== undefined || patch.patch === undefined)
    throw new Error(`${file}: only inline patches are supported by this build`);
  const operations = parse(patch.patch) as unknown;
  if (!Array.isArray(operations))
    throw new Error(`${file}: only JSON 6902 patches (a list of operations) are supported by this build`);
  const targets = objects.filter(
    (o) =>
      (!patch.target?.kind || o.kind === patch.target.kind) &&
      (!patch.target?.name || o.metadata.name === patch.target.name),
  );
  if (targets.length === 0)
    throw new Error(`${file}: patch target ${JSON.stringify(patch.target)} matches no resource`);
  for (const target of targets) {
    for (const operation of operations as Array<{ op: string; path: string; value?: unknown }>)
      applyOperation(file, target, operation);
  }
}

/** One RFC 6902 operation (add, replace, remove); a missing path is an error, as in kustomize. */
function applyOperation(
  file: string,
  object: Record<string, unknown>,
  { op, path, value }: { op: string; path: string; value?: unknown },
): void {
  const keys = path
    .split('/')
    .slice(1)
    .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = keys.pop();
  if (last === undefined) throw new Error(`${file}: bad patch path ${path}`);
  let parent: unknown = object;
  for (const key of keys) {
    parent = (parent as Record<string, unknown>)?.[key];
    if (parent === undefined || parent === null || typeof parent !== 'object')
      throw new Error(`${file}: patch path ${path} does not exist`);
  }
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length || (op !== 'add' && index >= parent.length))
      throw new Error(`${file}: patch path ${path} does not exist`);
    if (op === 'add') parent.splice(index, 0, structuredClone(value));
    else if (op === 'replace') parent[index] = structuredClone(value);
    else if (op === 'remove') parent.splice(index, 1);
    else throw new Error(`${file}: patch op ${op} is not supported by this build`);
    return;
  }
  const record = parent as Record<string, unknown>;
  if (op === 'add') record[last] = structuredClone(value);
  else if (op === 'replace' || op === 'remove') {
    if (!(last in record)) throw new Error(`${file}: patch path ${path} does not exist`);
    if (op === 'replace') record[last] = structuredClone(value);
    else delete record[last];
  } else throw new Error(`${file}: patch op ${op} is not supported by this build`);
}
