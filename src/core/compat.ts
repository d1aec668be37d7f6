import {
  PATTERN_REGISTRY,
  patternFor,
  type PatternDefinition,
  type PatternOptions,
  type PatternRegistry,
} from '../patterns/index.js';
import { TRACING_TARGETS } from '../components/tracing.js';
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
  if (options.tracing === true) assertTracingDeployable(options, definition, registry);
  return definition;
}

/**
 * Deployed tracing runs a collector beside long-lived instances: it needs compose or k8s among
 * the targets. Otherwise the error names what would work: adding such a target where the pattern
 * offers one, else the patterns that do (or pointing the functions at a collector of your own).
 */
function assertTracingDeployable(
  { pattern, deploy }: PatternOptions,
  definition: PatternDefinition,
  registry: PatternRegistry,
): void {
  if (deploy.some((target) => (TRACING_TARGETS as readonly string[]).includes(target))) return;
  const here = `tracing deploys an OpenTelemetry collector beside long-running instances (${TRACING_TARGETS.join(' or ')}), and this ${pattern} project deploys with ${deploy.join(', ') || 'nothing'}`;
  const offered = TRACING_TARGETS.filter((target) => definition.deploy.includes(target));
  if (offered.length > 0)
    throw new UserError(
      `${here}. Add ${offered.join(' or ')} first (--deploy, or mcp-arch add deploy ${offered[0]} in a generated project), then tracing.`,
    );
  const patterns = [...registry.values()]
    .filter((candidate) => TRACING_TARGETS.some((target) => candidate.deploy.includes(target)))
    .map((candidate) => candidate.id);
  throw new UserError(
    `${here}; the ${pattern} pattern deploys with ${definition.deploy.join(', ')} only. Set OTEL_EXPORTER_OTLP_ENDPOINT to a collector you run (tracing is on whenever it is set), or move to a pattern that deploys with ${TRACING_TARGETS.join(' or ')} (${patterns.join(', ')}: mcp-arch migrate --pattern <id>).`,
  );
}
