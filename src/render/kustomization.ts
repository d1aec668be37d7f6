import { stringify } from 'yaml';
import type { DeployContext, K8sContribution } from '../components/deploy.js';
import type { Component } from '../components/types.js';
import type { YamlComment, YamlFile } from './yaml.js';

/** The merged Kubernetes contributions of a project's components, in component order. */
export interface K8sFacts {
  settings: NonNullable<K8sContribution['settings']>;
  secrets: string[];
  egress: NonNullable<K8sContribution['egress']>;
  resources: NonNullable<K8sContribution['resources']>;
  patches: NonNullable<K8sContribution['patches']>;
  readiness: string[];
}

/** The contributions merged; undefined when no component writes a kustomize base. */
export function k8sFacts(components: readonly Component[], context: DeployContext): K8sFacts | undefined {
  if (!components.some((component) => component.deploy?.kustomizeBase)) return undefined;
  const facts: K8sFacts = { settings: [], secrets: [], egress: [], resources: {}, patches: [], readiness: [] };
  // The component that writes the base comes first: the others add to what it defines.
  const ordered = [
    ...components.filter((c) => c.deploy?.kustomizeBase),
    ...components.filter((c) => !c.deploy?.kustomizeBase),
  ];
  for (const component of ordered) {
    const contribution = component.deploy?.k8s?.(context);
    if (!contribution) continue;
    for (const setting of contribution.settings ?? []) {
      if (facts.settings.some((known) => known.name === setting.name))
        throw new Error(`two components set ${setting.name} in the Kubernetes ConfigMap`);
      facts.settings.push(setting);
    }
    facts.secrets.push(...(contribution.secrets ?? []).filter((name) => !facts.secrets.includes(name)));
    facts.egress.push(
      ...(contribution.egress ?? []).filter(({ port }) => !facts.egress.some((known) => known.port === port)),
    );
    for (const [file, document] of Object.entries(contribution.resources ?? {})) {
      if (facts.resources[file]) throw new Error(`two components add ${file} to the kustomize base`);
      facts.resources[file] = document;
    }
    facts.patches.push(...(contribution.patches ?? []));
    if (contribution.readiness) facts.readiness.push(contribution.readiness);
  }
  return facts;
}

/**
 * The files of the kustomize base built as data: the contributed resources, and
 * `kustomization.yaml` listing the templates' resources (`templateResources`, file names in the
 * base folder) and the contributed ones, with the contributed patches.
 */
export function kustomizeBaseFiles(
  components: readonly Component[],
  context: DeployContext,
  templateResources: readonly string[],
): Record<string, YamlFile> {
  const component = components.find((c) => c.deploy?.kustomizeBase);
  const facts = k8sFacts(components, context);
  if (!component || !facts) return {};
  const base = component.deploy!.kustomizeBase!;
  const contributed = Object.keys(facts.resources);
  const clash = contributed.find((file) => templateResources.includes(file));
  if (clash) throw new Error(`${base}/${clash} is both a template and a contributed resource`);
  const comments: YamlComment[] = [
    {
      path: ['images'],
      text: 'Point the image at your registry and release here (never "latest": rollbacks need a fixed tag).',
    },
  ];
  const document: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    labels: [{ pairs: { 'app.kubernetes.io/part-of': context.name } }],
    resources: [...templateResources, ...contributed],
  };
  if (facts.patches.length > 0) {
    document.patches = facts.patches.map(({ target, operations }) => ({
      target,
      patch: stringify(operations, { lineWidth: 0 }),
    }));
    comments.push({ path: ['patches'], text: facts.patches.map(({ comment }) => comment).join('\n') });
  }
  document.images = [{ name: context.name, newName: `registry.example.com/${context.name}`, newTag: '0.1.0' }];
  const kustomization: YamlFile = {
    header: `Kustomize base of ${context.title}: kubectl apply -k ${base} (or build overlays on top of it).`,
    comments,
    document,
  };
  return {
    ...Object.fromEntries(Object.entries(facts.resources).map(([file, resource]) => [`${base}/${file}`, resource])),
    [`${base}/kustomization.yaml`]: kustomization,
  };
}
