import type { Component } from '../components/types.js';
import type { AdvisorAnswers } from '../core/answers.js';
import type { AuthMode, DeployTarget, ProtocolPosture, SessionMode, StoreId } from '../core/ids.js';

/**
 * The options a pattern is generated with. `pattern` is a string, not only one of PATTERN_IDS:
 * a registry (and a test) may hold patterns beyond the built-in six.
 */
export interface PatternOptions {
  name: string;
  pattern: string;
  store: StoreId;
  deploy: DeployTarget[];
  authMode: AuthMode;
  sessionMode: SessionMode;
  protocol: ProtocolPosture;
  /**
   * An OpenTelemetry collector is deployed beside the app (compose, k8s) and the deployed
   * instances export to it. Absent means off; the tracing code is in every project either way.
   */
  tracing?: boolean;
}

/** How many instances of the server a generated deployment runs; recorded in `mcp-arch.json`. */
export interface Instances {
  /** Server processes the generated deployment runs at once. */
  count: number;
  /**
   * The platform runs an instance per concurrent invocation and keeps nothing between them
   * (functions): there is no long-lived process to probe or drain.
   */
  perInvocation: boolean;
  /** Why, in words `verify` prints as evidence. */
  why: string;
}

/** A file the pattern's code cannot work without, beyond its deploy targets. */
export interface RequiredFile {
  file: string;
  why: string;
}

/** A tool whose call takes about a second: `verify --live` proves a call in flight survives SIGTERM with it. */
export interface SlowTool {
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * How far a pattern's instances reach, which bounds the availability and durability the advisor
 * can promise with it: one instance, replicas in one region, managed functions, or several regions.
 */
export type Reach = 'one' | 'replicas' | 'functions' | 'regions';

/** Something the advisor suggests on top of the chosen pattern. */
export interface AddOn {
  id: string;
  text: string;
}

/** What the advisor knows when it suggests a pattern's add-ons. */
export interface AddOnContext {
  answers: AdvisorAnswers;
  store: StoreId;
  sessionMode: SessionMode;
  /** The store as prose: "Redis", "the database". */
  storeName: string;
}

/**
 * One deployment pattern, with every fact about it: what the catalog says, what it generates
 * and how its generated system runs. Everything else (catalog, support table, checklist
 * applicability, diagrams, verify's expectations) is derived from these definitions.
 */
export interface PatternDefinition {
  id: string;
  title: string;
  summary: string;
  useWhen: readonly string[];
  /** Limitations the user accepts by choosing it (from the guide the catalog is built on). */
  limitations: readonly string[];
  /** Topology as plain text for the terminal. */
  terminalDiagram: string;
  /** How far its instances reach (the advisor's bound on availability and durability). */
  reach: Reach;
  /**
   * Session modes it supports; the first is the default, which the advisor keeps unless tools
   * need server-to-client requests (then stateful, where offered).
   */
  sessionModes: readonly SessionMode[];
  /** Stores it can use; the first is the default. */
  stores: readonly StoreId[];
  /** Deploy targets it can generate; `defaultDeploy` are chosen unless the user says otherwise. */
  deploy: readonly DeployTarget[];
  defaultDeploy: readonly DeployTarget[];
  /** Its components, before the store's and the deploy targets'. */
  components: readonly Component[];
  /** Components it adds for a deploy target, after the target's own (e.g. per-region overlays on the k8s base). */
  deployComponents?: Partial<Record<DeployTarget, readonly Component[]>>;
  /** The instances the generated deployment runs with these options. */
  instances(options: PatternOptions): Instances;
  /** The server calls out to backends or a shared store, so connection retries and circuit breakers apply. */
  hasDependencies: boolean;
  requiredFiles: readonly RequiredFile[];
  /** The README's Mermaid flowchart: its body, and the node deploy artifacts attach to. */
  mermaid: { mainNode: string; lines(options: PatternOptions): string[] };
  slowTool: SlowTool;
  /** What the advisor suggests on top of this pattern for the answers given, beyond the store's own advice. */
  addOns?(context: AddOnContext): AddOn[];
}

/** The patterns a generator knows, by id, in catalog order. */
export type PatternRegistry = ReadonlyMap<string, PatternDefinition>;
