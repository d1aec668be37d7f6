import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Strict validation of Kubernetes objects against the Kubernetes OpenAPI schemas, as shipped
 * compiled by `kubernetes-models` (types, required fields, formats, enums).
 *
 * Those schemas allow unknown fields (the API server drops them silently), while `kubectl`
 * refuses them; a misspelled `readinesProbe` would pass. Strictness is added here: the object is
 * validated through a proxy that records which fields the schema validator looked at, and any
 * field it never looked at is not in the schema. Maps (labels, annotations, data) are iterated
 * by the validator, so all of their keys count as known.
 */
export interface SchemaProblem {
  path: string;
  message: string;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/** The compiled validators carry no messages: say what is wrong from the keyword. */
function describe(error: SchemaError): SchemaProblem {
  // Same notation as the unknown-field paths: spec.containers[0].ports[0].containerPort.
  const path = error.instancePath
    .replace(/^\//, '')
    .split('/')
    .map((segment, i) => (/^\d+$/.test(segment) ? `[${segment}]` : `${i ? '.' : ''}${segment}`))
    .join('');
  if (error.keyword === 'required') {
    const field = String(error.params.missingProperty);
    return { path: path ? `${path}.${field}` : field, message: 'missing required field' };
  }
  if (error.keyword === 'type') return { path, message: `must be ${String(error.params.type)}` };
  if (error.keyword === 'enum')
    return { path, message: `must be one of ${JSON.stringify(error.params.allowedValues)}` };
  return { path, message: error.message ?? `violates ${error.keyword} ${JSON.stringify(error.params)}` };
}

const GROUPS: Record<string, string> = {
  '': 'Core',
  apps: 'Apps',
  autoscaling: 'Autoscaling',
  policy: 'Policy',
  'networking.k8s.io': 'Networking',
  batch: 'Batch',
  'rbac.authorization.k8s.io': 'Rbac',
};

/** The compiled schema of `apiVersion`/`kind`, e.g. apps/v1 Deployment -> IoK8sApiAppsV1Deployment. */
async function schemaFor(apiVersion: string, kind: string): Promise<Validate> {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const prefix = GROUPS[group];
  if (!prefix || !/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^[A-Z][A-Za-z]+$/.test(kind)) {
    throw new Error(`no Kubernetes schema for apiVersion ${apiVersion}, kind ${kind}`);
  }
  const id = `IoK8sApi${prefix}${version[0]!.toUpperCase()}${version.slice(1)}${kind}`;
  try {
    // The compiled schemas are files of the package, not entry points it exports.
    const module = (await import(
      new URL(`_schemas/${id}.mjs`, pathToFileURL(createRequire(import.meta.url).resolve('kubernetes-models'))).href
    )) as { validate: Validate };
    return module.validate;
  } catch {
    throw new Error(`no Kubernetes schema for apiVersion ${apiVersion}, kind ${kind} (looked for ${id})`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Wraps `value` so every property read is recorded in `read` (per target object). */
function recording(value: unknown, read: WeakMap<object, Set<string>>, proxies: WeakMap<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const cached = proxies.get(value);
  if (cached) return cached;
  const keys = new Set<string>();
  read.set(value, keys);
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string') keys.add(key);
      return recording(Reflect.get(target, key, receiver), read, proxies);
    },
    ownKeys(target) {
      // Iterating an object's keys (a map: labels, data) makes every key known.
      for (const key of Reflect.ownKeys(target)) if (typeof key === 'string') keys.add(key);
      return Reflect.ownKeys(target);
    },
  });
  proxies.set(value, proxy);
  return proxy;
}

function unknownFields(value: unknown, read: WeakMap<object, Set<string>>, path: string, out: SchemaProblem[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => unknownFields(item, read, `${path}[${index}]`, out));
    return;
  }
  if (!isPlainObject(value)) return;
  const seen = read.get(value) ?? new Set<string>();
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (!seen.has(key)) {
      out.push({ path: childPath, message: 'unknown field (not in the Kubernetes schema)' });
      continue;
    }
    unknownFields(child, read, childPath, out);
  }
}

/** Problems of one object: schema violations and unknown fields. Empty when it is valid. */
export async function validateK8sObject(object: Record<string, unknown>): Promise<SchemaProblem[]> {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string')
    return [{ path: '', message: 'apiVersion and kind are required' }];
  const validate = await schemaFor(apiVersion, kind);
  const read = new WeakMap<object, Set<string>>();
  const problems: SchemaProblem[] = [];
  if (!validate(recording(object, read, new WeakMap()))) {
    for (const error of validate.errors ?? []) problems.push(describe(error));
  }
  // apiVersion and kind are checked by the lookup above, not by the schema.
  (read.get(object) ?? read.set(object, new Set()).get(object)!).add('apiVersion').add('kind');
  unknownFields(object, read, '', problems);
  return problems;
}

const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'images',
  'replicas',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'components',
  'buildMetadata',
]);

/** Kustomization files are not API objects; checked against kustomize's field list. */
export function validateKustomization(object: Record<string, unknown>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (object.apiVersion !== 'kustomize.config.k8s.io/v1beta1')
    problems.push({ path: 'apiVersion', message: 'expected kustomize.config.k8s.io/v1beta1' });
  if (object.kind !== 'Kustomization') problems.push({ path: 'kind', message: 'expected Kustomization' });
  for (const key of Object.keys(object))
    if (!KUSTOMIZATION_FIELDS.has(key)) problems.push({ path: key, message: 'unknown kustomization field' });
  if (
    object.resources !== undefined &&
    !(Array.isArray(object.resources) && object.resources.every((r) => typeof r === 'string'))
  ) {
    problems.push({ path: 'resources', message: 'expected a list of file paths' });
  }
  return problems;
}
