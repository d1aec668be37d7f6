import type { PinnedPackage } from '../core/versions.js';

/** An environment variable a generated project reads; listed in `.env.example` and the README. */
export interface EnvVar {
  name: string;
  /** Value written to `.env.example`; empty when there is no safe default. */
  default: string;
  description: string;
  /** Secrets are never given a value in generated files. */
  secret?: boolean;
}

/**
 * A component: one feature of a generated project and everything it contributes.
 * Adding a feature is one file in `src/components/` plus one entry in the registry.
 */
export interface Component {
  id: string;
  /** Template folders under `templates/` whose files this component contributes. */
  templates: string[];
  /**
   * Destinations (paths in the generated project) that this component's templates deliberately
   * replace from components listed before it: e.g. a gateway's `src/mcp/layer.ts`. Any other
   * clash is an error, and so is a declared replacement that replaces nothing.
   */
  replaces?: string[];
  /**
   * A partial (`templates/partials/<name>.hbs`) rendered into the generated README, before its
   * Deploy section, in component order: what this component adds, how to run and test it.
   */
  readme?: string;
  dependencies?: PinnedPackage[];
  devDependencies?: PinnedPackage[];
  scripts?: Record<string, string>;
  env?: EnvVar[];
}
