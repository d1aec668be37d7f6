import type { GENERATOR_PACKAGE } from '../core/tool-info.js';
import type { PinnedPackage } from '../core/versions.js';
import type { DeployContributions } from './deploy.js';

/**
 * An environment variable a generated project reads, declared once by the component whose code
 * reads it: `.env.example`, the README's configuration table and the next steps come from it.
 */
export interface EnvVar {
  name: string;
  /**
   * The built-in default: what the code uses when the variable is unset. Empty when there is
   * none (the feature is off, or the value is derived as the description says).
   */
  default: string;
  /** What `.env.example` suggests, when it differs from the built-in default. */
  example?: string;
  description: string;
  /**
   * How the generated `src/config.ts` validates it: a zod expression over the helpers that file
   * defines (e.g. `bounded(0, 65535)`), without its default: the declared `default` is appended
   * (parsed like a set value), or `.optional()` when there is none. Absent for a variable that
   * other code reads (a gateway's GATEWAY_CONFIG, a client's settings).
   */
  schema?: string;
  /** Secrets are never given a value in generated files. */
  secret?: boolean;
  /**
   * The setting under which this variable must be set, e.g. `{ AUTH_MODE: 'jwt' }`: next steps
   * and the README tell a project with that setting to set it.
   */
  requiredWhen?: Readonly<Record<string, string>>;
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
   * Destinations that components listed before it write and a project with this component must
   * not hold: code it never runs, e.g. the example tools a gateway's own layer does not serve.
   * Naming a path no earlier template writes is an error.
   */
  omits?: string[];
  /**
   * A partial (`templates/partials/<name>.hbs`) rendered into the generated README, before its
   * Deploy section, in component order: what this component adds, how to run and test it.
   */
  readme?: string;
  dependencies?: PinnedPackage[];
  /** Pinned packages, or the generator itself (its own version: `npm run verify` runs it). */
  devDependencies?: (PinnedPackage | typeof GENERATOR_PACKAGE)[];
  scripts?: Record<string, string>;
  env?: EnvVar[];
  /** What it adds to the deployment documents built as data (compose.yaml): see `deploy.ts`. */
  deploy?: DeployContributions;
  /**
   * The paths this component adds (a folder ends with `/`), with what they hold: the README's
   * layout and AGENTS.md list them. A later component may describe a path again (e.g. a gateway's
   * `src/mcp/`); its words win.
   */
  layout?: Record<string, string>;
  /**
   * A partial (`templates/partials/<name>.hbs`) saying how to extend what the project serves:
   * add a tool, or a backend for a gateway. The last component that names one is used.
   */
  extending?: string;
  /**
   * What this component's own tests need of the project's vitest.config.ts: a longer limit per
   * test and hook (the longest any component asks for is used), and variables every test file
   * sees, each with the reason the config file gives for it.
   */
  tests?: { timeoutMs?: number; env?: TestVariable[] };
}

/** A variable set for every test file of the generated suite (vitest's `test.env`). */
export interface TestVariable {
  name: string;
  value: string;
  why: string;
}
