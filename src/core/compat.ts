import { GENERATORS, type PatternSupport } from '../components/index.js';
import { UserError } from './errors.js';
import type { PatternId } from './ids.js';
import type { ProjectOptions } from './options.js';
import { PATTERNS } from './patterns.js';

/** Patterns this version can generate, in catalog order. */
export function generatablePatterns(): PatternId[] {
  return (Object.keys(PATTERNS) as PatternId[]).filter((id) => GENERATORS[id] !== undefined);
}

/** What this version generates for a pattern; a UserError naming --pattern when it does not. */
export function supportFor(pattern: PatternId): PatternSupport {
  const support = GENERATORS[pattern];
  if (!support) {
    throw new UserError(
      `--pattern ${pattern}: this version advises on ${pattern} but does not generate it yet. Patterns it generates: ${generatablePatterns().join(', ')}.`,
    );
  }
  return support;
}

/**
 * Checks that the options fit together and that this version can generate them.
 * Throws a UserError naming the flag to change and the values that would work.
 */
export function assertCompatible(options: ProjectOptions): void {
  const { pattern, store, deploy, sessionMode } = options;
  const support = supportFor(pattern);
  const catalog = PATTERNS[pattern];
  if (!support.stores.includes(store)) {
    throw new UserError(`--store ${store} does not fit the ${pattern} pattern. Use one of: ${support.stores.join(', ')}.`);
  }
  if (!catalog.sessionModes.includes(sessionMode)) {
    throw new UserError(`--session-mode ${sessionMode} does not fit the ${pattern} pattern. Use one of: ${catalog.sessionModes.join(', ')}.`);
  }
  const unsupported = deploy.filter((target) => !support.deploy.includes(target));
  if (unsupported.length > 0) {
    throw new UserError(`--deploy ${unsupported.join(',')} does not fit the ${pattern} pattern. Use any of: ${support.deploy.join(', ')}.`);
  }
  if (deploy.includes('k8s') && store === 'memory') {
    const shared = support.stores.filter((id) => id !== 'memory');
    throw new UserError(
      `--deploy k8s runs three replicas, and --store memory keeps each session in one of them. Use --store ${shared.join(' or --store ')}, or leave k8s out of --deploy.`,
    );
  }
}
