import { canRunSeveral, PATTERN_REGISTRY } from '../patterns/index.js';
import type { PatternDefinition } from '../patterns/types.js';
import { PATTERN_IDS, type DeployTarget, type PatternId, type SessionMode, type StoreId } from './ids.js';

/**
 * A pattern as the catalog shows it (`mcp-arch patterns --json`, `explain`, the advisor): a
 * plain-data view of its definition in `src/patterns/<id>.ts`, where every fact lives.
 */
export interface Pattern {
  id: PatternId;
  title: string;
  summary: string;
  useWhen: readonly string[];
  /** Limitations the user accepts by choosing it (from the guide the catalog is built on). */
  limitations: readonly string[];
  /** Session modes it supports; the first is the default. */
  sessionModes: readonly SessionMode[];
  /** Stores it can use; the first is the default. */
  stores: readonly StoreId[];
  /** Deploy targets it can generate; `defaultDeploy` are chosen unless the user says otherwise. */
  deploy: readonly DeployTarget[];
  defaultDeploy: readonly DeployTarget[];
  /** Several instances can serve it at once (state must be shared). */
  replicated: boolean;
  /** Topology as plain text for the terminal. */
  diagram: string;
}

/** The catalog view of a definition. */
export function catalogEntry(definition: PatternDefinition & { id: PatternId }): Pattern {
  return {
    id: definition.id,
    title: definition.title,
    summary: definition.summary,
    useWhen: definition.useWhen,
    limitations: definition.limitations,
    sessionModes: definition.sessionModes,
    stores: definition.stores,
    deploy: definition.deploy,
    defaultDeploy: definition.defaultDeploy,
    replicated: canRunSeveral(definition),
    diagram: definition.terminalDiagram,
  };
}

function builtIn(id: PatternId): Pattern {
  const definition = PATTERN_REGISTRY.get(id);
  if (!definition) throw new Error(`pattern ${id} has no definition in src/patterns/`);
  return catalogEntry({ ...definition, id });
}

/** The built-in patterns by id, derived from the registry. */
export const PATTERNS: Record<PatternId, Pattern> = Object.fromEntries(
  PATTERN_IDS.map((id) => [id, builtIn(id)]),
) as Record<PatternId, Pattern>;
