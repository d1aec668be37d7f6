import type { Instances, PatternOptions, RequiredFile } from '../patterns/types.js';
import type { AdvisorAnswers } from './answers.js';
import type { AuthMode, DeployTarget, ProtocolPosture, SessionMode, StoreId } from './ids.js';

export const MANIFEST_FILE = 'mcp-arch.json';
export const MANIFEST_SCHEMA_VERSION = 1;

/**
 * `mcp-arch.json` at the root of a generated project: what was generated and how to run it.
 * `mcp-arch verify` reads it to decide which checks apply and how to start the project.
 */
export interface Manifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  generator: { name: 'create-mcp-arch'; version: string };
  name: string;
  /** Id of the pattern in the generator's registry (one of PATTERN_IDS for the built-in ones). */
  pattern: string;
  store: StoreId;
  sessionMode: SessionMode;
  /** The MCP revisions the server answers: both eras (`dual`) or 2026-07-28 only (`modern`). */
  protocol: ProtocolPosture;
  authMode: AuthMode;
  deploy: DeployTarget[];
  /**
   * An OpenTelemetry collector is deployed beside the app and the deployed instances export to
   * it (`mcp-arch add tracing`). Written only when true; absent reads as false.
   */
  tracing?: boolean;
  /** Component ids in the blueprint, e.g. `base`, `docker`, `ci`. */
  components: string[];
  /** Ids of the checklist items that apply to this project. */
  checks: string[];
  /** How many instances of the server the generated deployment runs, and why. */
  instances: Instances;
  /** Files the pattern's code cannot work without, beyond its deploy targets. */
  requiredFiles: RequiredFile[];
  /**
   * The environment variables the project reads (its variable registry). `verify --live` sets
   * the ones it decides and keeps every other one of them out of the server it starts, so the
   * run does not depend on the shell it was started from. Absent in older manifests.
   */
  env?: string[];
  /**
   * The advisor's answers, when the advisor ran: `mcp-arch add`, `migrate` and `upgrade` carry
   * them over, so the project keeps the reasons it was generated for. Absent in older manifests.
   */
  answers?: Partial<AdvisorAnswers>;
  start: {
    /** Command that serves the project, run from its root. */
    command: string;
    /** Environment variable carrying the port. */
    portEnv: string;
    port: number;
    healthPath: string;
    readyPath: string;
    metricsPath: string;
    mcpPath: string;
    /**
     * Prepares the project for `run` (e.g. `npm run build`), run from its root before
     * `verify --live` starts it. Absent: nothing to prepare.
     */
    build?: string;
    /**
     * Starts the server process directly (e.g. `node dist/index.js`), so signals reach Node and
     * not a package manager in between. `verify --live` runs it; absent, live mode cannot start
     * the project.
     */
    run?: string;
    /**
     * A tool whose call takes a while (about a second), used to prove that a call in flight at
     * SIGTERM completes. Absent: the graceful-shutdown probe cannot run.
     */
    slowTool?: { name: string; arguments: Record<string, unknown> };
  };
}

/** The options a manifest records: re-rendering them gives the project as generated. */
export function optionsOf(manifest: Manifest): PatternOptions {
  const { name, pattern, store, deploy, authMode, sessionMode, protocol, tracing } = manifest;
  return {
    name,
    pattern,
    store,
    deploy: [...deploy],
    authMode,
    sessionMode,
    protocol,
    ...(tracing === true ? { tracing: true } : {}),
  };
}
