import {
  PATTERN_REGISTRY,
  patternFor,
  type PatternDefinition,
  type PatternOptions,
  type PatternRegistry,
} from '../patterns/index.js';
import { UserError } from './errors.js';

/** Patterns this version can generate, in catalog order. */
export function generatablePatterns(registry: PatternRegistry = PATTERN_REGISTRY): string[] {
  return [...registry.keys()];
}

/** What this version generates for a pattern; a UserError naming --pattern when it does not. */
export function supportFor(pattern: string, registry: PatternRegistry = PATTERN_REGISTRY): PatternDefinition {
  return patternFor(pattern, registry);
}

/**
 * Checks that the options fit together and that this version can generate them.
 * Throws a UserError naming the flag to change and the values that would work.
 */
export function assertCompatible(
  options: PatternOptions,
  registry: PatternRegistry = PATTERN_REGISTRY,
): PatternDefinition {
  const { pattern, store, deploy, sessionMode, protocol } = options;
  const definition = supportFor(pattern, registry);
  if (!definition.stores.includes(store)) {
    throw new UserError(
      `--store ${store} does not fit the ${pattern} pattern. Use one of: ${definition.stores.join(', ')}.`,
    );
  }
  if (!definition.sessionModes.includes(sessionMode)) {
    throw new UserError(
      `--session-mode ${sessionMode} does not fit the ${pattern} pattern. Use one of: ${definition.sessionModes.join(', ')}.`,
    );
  }
  // The sessionful leg serves 2025-era clients; a modern-only endpoint refuses them.
  if (sessionMode === 'stateful' && protocol === 'modern') {
    throw new UserError(
      '--session-mode stateful keeps sessions for 2025-era clients, and --protocol modern refuses those clients. Use --protocol dual with --session-mode stateful, or --session-mode stateless.',
    );
  }
  const unsupported = deploy.filter((target) => !definition.deploy.includes(target));
  if (unsupported.length > 0) {
    throw new UserError(
      `--deploy ${unsupported.join(',')} does not fit the ${pattern} pattern. Use any of: ${definition.deploy.join(', ')}.`,
    );
  }
  // Kubernetes always runs replicas; the memory store would keep each session in one of them.
  if (deploy.includes('k8s') && store === 'memory') {
    const shared = definition.stores.filter((id) => id !== 'memory');
    throw new UserError(
      `--deploy k8s runs three replicas, and --store memory keeps each session in one of them. Use --store ${shared.join(' or --store ')}, or leave k8s out of --deploy.`,
    );
  }
  return definition;
}
