import { UserError } from '../core/errors.js';
import { gateway } from './gateway.js';
import { loadBalanced } from './load-balanced.js';
import { multiRegion } from './multi-region.js';
import { multiServer } from './multi-server.js';
import { serverless } from './serverless.js';
import { single } from './single.js';
import type { Instances, PatternDefinition, PatternOptions, PatternRegistry } from './types.js';

export type {
  AddOn,
  AddOnContext,
  Instances,
  PatternDefinition,
  PatternOptions,
  PatternRegistry,
  Reach,
  RequiredFile,
  SlowTool,
} from './types.js';

/** Builds a registry from definitions, in the order given; two definitions with one id are a mistake. */
export function registryOf(definitions: readonly PatternDefinition[]): PatternRegistry {
  const registry = new Map<string, PatternDefinition>();
  for (const definition of definitions) {
    if (registry.has(definition.id)) throw new Error(`two pattern definitions have the id ${definition.id}`);
    registry.set(definition.id, definition);
  }
  return registry;
}

/** The patterns this version advises on and generates, in catalog order. */
export const PATTERN_REGISTRY: PatternRegistry = registryOf([
  single,
  multiServer,
  gateway,
  loadBalanced,
  serverless,
  multiRegion,
]);

/** A pattern's definition; a UserError naming --pattern and the ids that exist when there is none. */
export function patternFor(id: string, registry: PatternRegistry = PATTERN_REGISTRY): PatternDefinition {
  const definition = registry.get(id);
  if (!definition)
    throw new UserError(
      `--pattern ${id} is not a pattern this version knows. Use one of: ${[...registry.keys()].join(', ')}.`,
    );
  return definition;
}

/** More than one instance serves the deployment at once, so state must be shared. */
export function runsSeveral(instances: Instances): boolean {
  return instances.count > 1 || instances.perInvocation;
}

/** Whether any option the pattern offers runs several instances: capacity planning then applies to it. */
export function canRunSeveral(definition: PatternDefinition): boolean {
  return definition.stores.some((store) =>
    runsSeveral(
      definition.instances({
        name: definition.id,
        pattern: definition.id,
        store,
        deploy: [...definition.deploy],
        authMode: 'none',
        sessionMode: definition.sessionModes[0] ?? 'stateless',
        protocol: 'dual',
      }),
    ),
  );
}

/** The instances a project generated with `options` runs. */
export function instancesOf(options: PatternOptions, registry: PatternRegistry = PATTERN_REGISTRY): Instances {
  return patternFor(options.pattern, registry).instances(options);
}

/** One row of the support table (`mcp-arch patterns --json`): what the generator makes of a pattern. */
export interface SupportRow {
  id: string;
  title: string;
  summary: string;
  stores: readonly string[];
  sessionModes: readonly string[];
  deploy: readonly string[];
  defaultDeploy: readonly string[];
  replicated: boolean;
}

export function supportTable(registry: PatternRegistry = PATTERN_REGISTRY): SupportRow[] {
  return [...registry.values()].map((definition) => ({
    id: definition.id,
    title: definition.title,
    summary: definition.summary,
    stores: definition.stores,
    sessionModes: definition.sessionModes,
    deploy: definition.deploy,
    defaultDeploy: definition.defaultDeploy,
    replicated: canRunSeveral(definition),
  }));
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** How many patterns there are, as a word for prose ("the six patterns"). */
export function patternCount(registry: PatternRegistry = PATTERN_REGISTRY): string {
  return NUMBER_WORDS[registry.size] ?? String(registry.size);
}
