import type { ComposeContribution, ComposeService, DeployContext } from '../components/deploy.js';
import type { Component } from '../components/types.js';
import type { YamlComment, YamlFile } from './yaml.js';

/** The file the compose component writes. */
export const COMPOSE_FILE = 'compose.yaml';

/** Contributions in component order, except that the one defining the app's service comes first: the others add to it. */
function contributionsOf(components: readonly Component[], context: DeployContext): ComposeContribution[] {
  const all = components.flatMap((component) => (component.deploy?.compose ? [component.deploy.compose(context)] : []));
  return [
    ...all.filter((contribution) => contribution.app?.service),
    ...all.filter((contribution) => !contribution.app?.service),
  ];
}

/** Names of the app's instances: one per instance the pattern definition counts. */
export function instanceNames(context: DeployContext): string[] {
  return Array.from({ length: context.instances.count }, (_, index) => `app-${index + 1}`);
}

function merged(contributions: readonly ComposeContribution[]) {
  const services: NonNullable<ComposeContribution['services']> = {};
  const environment: Record<string, string> = {};
  const environmentComments: Record<string, string> = {};
  const configs: NonNullable<ComposeContribution['configs']> = {};
  const volumes: string[] = [];
  const mounts: { source: string; target: string }[] = [];
  const dependsOn: string[] = [];
  let service: ComposeService = {};
  let noun = 'replica';
  let healthcheckComment: string | undefined;
  let entry: ComposeContribution['entry'];
  for (const contribution of contributions) {
    Object.assign(services, contribution.services);
    Object.assign(configs, contribution.configs);
    volumes.push(...(contribution.volumes ?? []));
    const app = contribution.app ?? {};
    service = { ...service, ...app.service };
    Object.assign(environment, app.environment);
    Object.assign(environmentComments, app.environmentComments);
    mounts.push(...(app.configs ?? []));
    dependsOn.push(...(app.dependsOn ?? []));
    noun = app.noun ?? noun;
    healthcheckComment = app.healthcheckComment ?? healthcheckComment;
    entry = contribution.entry ?? entry;
  }
  return {
    services,
    environment,
    environmentComments,
    configs,
    volumes,
    mounts,
    dependsOn,
    service,
    noun,
    healthcheckComment,
    entry,
  };
}

const healthy = (names: readonly string[]) =>
  Object.fromEntries(names.map((name) => [name, { condition: 'service_healthy' }]));

/**
 * `compose.yaml` as data, from the contributions of the project's components: the services they
 * add, the app once per instance (the count comes from the pattern definition) with every
 * component's environment, configs and dependencies, and the entry point in front.
 */
export function composeFile(components: readonly Component[], context: DeployContext): YamlFile {
  const parts = merged(contributionsOf(components, context));
  if (Object.keys(parts.service).length === 0) throw new Error('no component defines the app service of compose.yaml');
  const instances = instanceNames(context);
  const app: ComposeService = {};
  for (const [key, value] of Object.entries(parts.service)) {
    app[key] = value;
    // Keys in the order a reader expects: what runs, its settings, then how it is checked and limited.
    if (key === 'restart') {
      app.environment = parts.environment;
      if (parts.mounts.length > 0) app.configs = parts.mounts;
    }
  }
  if (parts.dependsOn.length > 0) app.depends_on = healthy(parts.dependsOn);

  const services: Record<string, ComposeService> = {};
  const comments: YamlComment[] = [];
  const ordered = Object.entries(parts.services).sort(
    ([, a], [, b]) => Number(Boolean(b.stateful)) - Number(Boolean(a.stateful)),
  );
  for (const [name, { service, comment }] of ordered) {
    services[name] = service;
    if (comment) comments.push({ path: ['services', name], text: comment });
  }
  for (const name of instances) {
    services[name] = structuredClone(app);
    for (const [variable, text] of Object.entries(parts.environmentComments))
      comments.push({ path: ['services', name, 'environment', variable], text });
    if (parts.healthcheckComment)
      comments.push({ path: ['services', name, 'healthcheck'], text: parts.healthcheckComment });
  }
  if (parts.entry) {
    services[parts.entry.name] = { ...parts.entry.service, depends_on: healthy(instances) };
    if (parts.entry.comment) comments.push({ path: ['services', parts.entry.name], text: parts.entry.comment });
  }

  const document: Record<string, unknown> = { name: context.name, services };
  if (parts.volumes.length > 0) document.volumes = Object.fromEntries(parts.volumes.map((volume) => [volume, null]));
  if (Object.keys(parts.configs).length > 0) {
    document.configs = Object.fromEntries(
      Object.entries(parts.configs).map(([name, { content }]) => [name, { content }]),
    );
    for (const [name, { comment }] of Object.entries(parts.configs))
      if (comment) comments.push({ path: ['configs', name], text: comment });
  }
  const header = [
    `${context.title}: ${composeSummary(components, context)}.`,
    `${capitalised(context.instances.why)}.`,
    'Secrets come from the environment or a .env file next to this one (never from this file).',
  ].join('\n');
  return { header, comments, document };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * What docs say about compose.yaml: what it runs, the variables it requires from the environment
 * or .env (its `${VAR:?message}` references), and of those the ones whose message suggests a
 * command that makes a value (`e.g. openssl rand -hex 32`). Undefined without the compose component.
 */
export function composeFacts(
  components: readonly Component[],
  context: DeployContext,
): { summary: string; requiredVariables: string[]; generated: { name: string; command: string }[] } | undefined {
  if (!components.some((component) => component.deploy?.composeFile)) return undefined;
  const text = JSON.stringify(composeFile(components, context).document);
  const required = [...text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*):\?([^}]*)\}/g)].map((match) => ({
    name: match[1]!,
    message: match[2]!,
  }));
  const requiredVariables = [...new Set(required.map(({ name }) => name))];
  const generated = requiredVariables.flatMap((name) => {
    const command = /, e\.g\. (openssl .+)$/.exec(required.find((variable) => variable.name === name)!.message)?.[1];
    return command ? [{ name, command }] : [];
  });
  return { summary: composeSummary(components, context), requiredVariables, generated };
}

/** What compose.yaml runs, in words: "Redis, 3 replicas, nginx" (stores, the app, other services, the entry point). */
export function composeSummary(components: readonly Component[], context: DeployContext): string {
  const parts = merged(contributionsOf(components, context));
  const count = context.instances.count;
  const services = Object.values(parts.services);
  return [
    ...services.filter((service) => service.stateful).map((service) => service.label),
    count === 1 ? parts.noun : `${count} ${parts.noun}s`,
    ...services.filter((service) => !service.stateful).map((service) => service.label),
    ...(parts.entry ? [parts.entry.label] : []),
  ].join(', ');
}
