/** Ids of the public contract. These lists drive types, prompt choices, validation and docs. */

export const PATTERN_IDS = [
  'single',
  'multi-server',
  'gateway',
  'load-balanced',
  'serverless',
  'multi-region',
] as const;
export type PatternId = (typeof PATTERN_IDS)[number];

export const STORE_IDS = ['memory', 'redis', 'database', 'hybrid'] as const;
export type StoreId = (typeof STORE_IDS)[number];

export const DEPLOY_TARGETS = ['docker', 'compose', 'k8s', 'lambda', 'vercel'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

export const PACKAGE_MANAGERS = ['npm', 'pnpm', 'yarn', 'bun'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

export const AUTH_MODES = ['none', 'apikey', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const SESSION_MODES = ['stateless', 'stateful'] as const;
export type SessionMode = (typeof SESSION_MODES)[number];

/**
 * Which MCP revisions a generated server serves: `dual` answers MCP 2026-07-28 and 2025-era
 * clients on one endpoint, `modern` answers 2026-07-28 only (a 2025 `initialize` gets -32022).
 */
export const PROTOCOL_POSTURES = ['dual', 'modern'] as const;
export type ProtocolPosture = (typeof PROTOCOL_POSTURES)[number];

export const CHECK_CATEGORIES = ['pre-deployment', 'protocol', 'security', 'observability', 'resilience'] as const;
export type CheckCategory = (typeof CHECK_CATEGORIES)[number];

export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
