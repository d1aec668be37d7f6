import path from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import type { Finding, StaticContext } from '../check.js';
import { lineAt } from './files.js';
import { dig, isRecord } from './records.js';

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
      objects.push({
        file,
        line: lineAt(text, start),
        kind: body.kind,
        name: typeof metadata.name === 'string' ? metadata.name : '',
        body,
        patch: false,
      });
      if (body.kind === 'Kustomization') {
        for (const patchPath of kustomizationPatches(body))
          patchFiles.add(path.posix.normalize(path.posix.join(path.posix.dirname(file), patchPath)));
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

const THIRD_PARTY_IMAGE =
  /(?:^|\/)(?:redis|valkey|postgres|cockroach|nginx|haproxy|envoy|traefik|otel|prometheus|grafana|jaeger)[^/]*$/i;

/** App containers of the project's workloads: third-party images (stores, proxies) excluded. */
export function appContainers(
  objects: readonly K8sObject[],
): { workload: K8sObject; container: Record<string, unknown> }[] {
  const out: { workload: K8sObject; container: Record<string, unknown> }[] = [];
  for (const workload of workloads(objects)) {
    for (const container of containersOf(workload)) {
      const image = typeof container.image === 'string' ? (container.image.split(':')[0] ?? '') : '';
      if (!THIRD_PARTY_IMAGE.test(image)) out.push({ workload, container });
    }
  }
  return out;
}

/**
 * Container images must name a fixed version: an untagged or `:latest` image changes under a
 * running Deployment at the next pull, so a rollback does not roll anything back.
 */
export function imageTagFindings(objects: readonly K8sObject[]): Finding[] {
  const out: Finding[] = [];
  for (const workload of workloads(objects)) {
    for (const container of containersOf(workload)) {
      const image = typeof container.image === 'string' ? container.image : '';
      const name = String(container.name ?? '');
      const remediation = `Pin the image of container ${name} in ${workload.file} to a version tag or a digest (image: registry/app:1.4.2 or @sha256:...), and let the release pipeline update it.`;
      if (image === '') {
        out.push({
          message: `${workload.kind} ${workload.name}: container ${name} has no image`,
          file: workload.file,
          line: workload.line,
          remediation,
        });
        continue;
      }
      if (image.includes('@sha256:')) continue;
      const lastSegment = image.slice(image.lastIndexOf('/') + 1);
      const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
      if (tag === '' || tag === 'latest') {
        out.push({
          message: `${workload.kind} ${workload.name}: container ${name} runs ${image}${tag === '' ? ' (no tag: latest)' : ''}, which changes under the running Deployment`,
          file: workload.file,
          line: workload.line,
          remediation,
        });
      }
    }
  }
  return out;
}

/**
 * Pod and container security contexts: not root, no privilege escalation, not privileged
 * (failures); a read-only root filesystem and every capability dropped (warnings).
 */
export function securityContextFindings(objects: readonly K8sObject[]): { failures: Finding[]; warnings: Finding[] } {
  const failures: Finding[] = [];
  const warnings: Finding[] = [];
  for (const workload of workloads(objects)) {
    const pod = dig(workload.body, 'spec', 'template', 'spec', 'securityContext');
    for (const container of containersOf(workload)) {
      const own = isRecord(container.securityContext) ? container.securityContext : {};
      const name = String(container.name ?? '');
      const where = `${workload.kind} ${workload.name}, container ${name}`;
      const at = { file: workload.file, line: workload.line };
      const fix = (setting: string) =>
        `Set securityContext.${setting} for container ${name} in ${workload.file} (the image runs as the unprivileged node user).`;
      const runAsNonRoot = own.runAsNonRoot ?? dig(pod, 'runAsNonRoot');
      const runAsUser = own.runAsUser ?? dig(pod, 'runAsUser');
      if (runAsNonRoot !== true || runAsUser === 0) {
        failures.push({
          message: `${where} may run as root (securityContext.runAsNonRoot is not true)`,
          ...at,
          remediation: fix('runAsNonRoot: true'),
        });
      }
      if (own.privileged === true)
        failures.push({ message: `${where} is privileged`, ...at, remediation: fix('privileged: false') });
      if (own.allowPrivilegeEscalation !== false) {
        failures.push({
          message: `${where} allows privilege escalation (allowPrivilegeEscalation is not false)`,
          ...at,
          remediation: fix('allowPrivilegeEscalation: false'),
        });
      }
      if (own.readOnlyRootFilesystem !== true) {
        warnings.push({
          message: `${where} has a writable root filesystem`,
          ...at,
          remediation:
            fix('readOnlyRootFilesystem: true') + ' Mount an emptyDir at /tmp if the app writes temporary files.',
        });
      }
      const drop = dig(own, 'capabilities', 'drop');
      if (!Array.isArray(drop) || !drop.some((capability) => String(capability).toUpperCase() === 'ALL')) {
        warnings.push({
          message: `${where} keeps the default Linux capabilities`,
          ...at,
          remediation: fix('capabilities.drop: ["ALL"]'),
        });
      }
    }
  }
  return { failures, warnings };
}

/**
 * Without a NetworkPolicy that selects the app's pods for ingress, any pod in the cluster can
 * reach the plain-HTTP port directly, around the TLS-terminating Ingress.
 */
export function networkPolicyFindings(objects: readonly K8sObject[]): Finding[] {
  const apps = workloads(objects);
  if (apps.length === 0) return [];
  const policies = resourcesOf(objects, 'NetworkPolicy').filter((policy) => {
    const types = dig(policy.body, 'spec', 'policyTypes');
    // Without policyTypes, a policy restricts ingress by default.
    return !Array.isArray(types) || types.includes('Ingress');
  });
  const out: Finding[] = [];
  for (const workload of apps) {
    const labels = dig(workload.body, 'spec', 'template', 'metadata', 'labels');
    const podLabels = isRecord(labels) ? labels : {};
    const covered = policies.some((policy) => {
      const selector = dig(policy.body, 'spec', 'podSelector', 'matchLabels');
      const expressions = dig(policy.body, 'spec', 'podSelector', 'matchExpressions');
      if (Array.isArray(expressions) && expressions.length > 0) return true;
      if (!isRecord(selector) || Object.keys(selector).length === 0) return true;
      return Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    });
    if (!covered) {
      out.push({
        message: `No NetworkPolicy restricts ingress to ${workload.kind} ${workload.name}: any pod in the cluster reaches its plain-HTTP port, around the Ingress`,
        file: workload.file,
        line: workload.line,
        remediation: `Add a NetworkPolicy (next to ${workload.file}) whose podSelector matches the pods of ${workload.name} and allows ingress only from the ingress controller's namespace and from Prometheus.`,
      });
    }
  }
  return out;
}

/** Alerting rules held in Prometheus Operator PrometheusRule objects: `spec.groups[].rules[]`. */
export interface PrometheusRuleEntry {
  file: string;
  line: number;
  object: string;
  name: string;
  kind: 'alert' | 'record' | 'unknown';
  expr: string;
  labels: Record<string, unknown>;
}

export function prometheusRules(objects: readonly K8sObject[]): PrometheusRuleEntry[] {
  const out: PrometheusRuleEntry[] = [];
  for (const object of resourcesOf(objects, 'PrometheusRule')) {
    const groups = dig(object.body, 'spec', 'groups');
    for (const group of Array.isArray(groups) ? groups : []) {
      const rules = dig(group, 'rules');
      for (const rule of Array.isArray(rules) ? rules.filter(isRecord) : []) {
        const kind = typeof rule.alert === 'string' ? 'alert' : typeof rule.record === 'string' ? 'record' : 'unknown';
        out.push({
          file: object.file,
          line: object.line,
          object: object.name,
          name: String(rule.alert ?? rule.record ?? ''),
          kind,
          expr: typeof rule.expr === 'string' ? rule.expr : typeof rule.expr === 'number' ? String(rule.expr) : '',
          labels: isRecord(rule.labels) ? rule.labels : {},
        });
      }
    }
  }
  return out;
}
