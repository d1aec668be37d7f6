import { CHECKLIST, type ChecklistItem } from '../core/checklist.js';
import type { Manifest } from '../core/manifest.js';

/** Every status a check can report, best to least conclusive. */
export const CHECK_STATUSES = ['pass', 'fail', 'warn', 'skip', 'n/a', 'manual'] as const;

/**
 * - `pass`: evidence was found that the item holds.
 * - `fail`: evidence was found that it does not, or the evidence it needs is missing.
 * - `warn`: it holds, with a weakness worth fixing.
 * - `skip`: the check could not run (unreadable file, unparsable input); never a pass.
 * - `n/a`: the item does not apply to this project; the summary says why.
 * - `manual`: only a person can confirm it; the findings say what to look at.
 */
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One concrete thing a check found. `file` is relative to the project root, `/`-separated. */
export interface Finding {
  message: string;
  file?: string;
  /** 1-based line in `file`, when the finding points at one (SARIF uses it). */
  line?: number;
  /** What to change to fix it: the file, setting or variable to edit. */
  remediation: string;
  /** A weakness rather than a failure; `conclude` marks the warnings it is given. */
  level?: 'warning';
  /**
   * `source-text`: found by reading the code, which an owner's harmless refactor can break.
   * Where the live part of the same check proves the property, such findings stay in the
   * report as warnings and decide nothing.
   */
  from?: 'source-text';
}

/** What one part (static or live) of a check concluded. */
export interface CheckOutcome {
  status: CheckStatus;
  /** One line a person can read without the findings. */
  summary: string;
  findings: Finding[];
}

/**
 * Read-only view of a generated project for static checks.
 * File reads are cached for the whole run, so checks can read the same file freely.
 */
export interface StaticContext {
  /** Absolute path of the project root. */
  readonly dir: string;
  readonly manifest: Manifest;
  /**
   * Text of a file relative to the root, or `undefined` when it does not exist.
   * Throws when it exists but cannot be read; the runner reports that as `skip`.
   */
  readFile(rel: string): Promise<string | undefined>;
  exists(rel: string): Promise<boolean>;
  /**
   * Files under `rel` (recursively, relative to the root, `/`-separated, sorted), skipping
   * dependency and build output folders. Empty when `rel` does not exist.
   */
  listFiles(rel?: string): Promise<string[]>;
  /** 1-based line of the first match of `pattern` in the file, for pointing findings at code. */
  lineOf(rel: string, pattern: RegExp | string): Promise<number | undefined>;
}

/**
 * What a live part receives: a running instance to probe. Every probe is bounded (timeouts,
 * request counts), and a live part that cannot reach the instance throws, which the runner
 * reports as `skip` ("could not connect"), never as a pass.
 */
export interface LiveContext {
  /** Origin of the instance, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  readonly url: string;
  /** Absolute URL of the MCP endpoint: `<url>/mcp` unless `--url` named a path. */
  readonly mcpUrl: string;
  /** Absolute URLs of the operational endpoints, from `mcp-arch.json` or the defaults. */
  readonly endpoints: { readonly health: string; readonly ready: string; readonly metrics: string };
  /** Base URLs of the replicas named with `--replica` (no trailing slash), each probed directly; absent when none. */
  readonly replicas?: readonly string[];
  /** Headers to send with every probe (credentials given with `--header`); may be empty. */
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch: typeof globalThis.fetch;
  /** The generated project, when `mcp-arch.json` was found; absent for any other server. */
  readonly project?: StaticContext;
  /**
   * Present when verify started the project itself (`--live` without `--url`): what it
   * controls about the running process, for probes that need more than HTTP.
   */
  readonly local?: LocalProject;
  /**
   * Runs `probe` once per verify run and shares its answer, so checks that need the same
   * evidence (e.g. /health for both health-check items) do not probe twice.
   */
  once<T>(key: string, probe: () => Promise<T>): Promise<T>;
  /** Whether a check already asked `once` for `key` (the report shows shared evidence only when some check gathered it). */
  asked(key: string): boolean;
}

/** A server process verify started and will stop. */
export interface LocalInstance {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): { stdout: string; stderr: string };
  /** How the process ended, once it has; undefined while it runs. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** One span an OTLP receiver got: ids in lowercase hex. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

/** What verify controls when it runs the project itself. */
export interface LocalProject {
  /** The instance every HTTP probe targets. */
  readonly main: LocalInstance;
  /** Secrets verify configured (API key, signing key material); none may ever show in a log line. */
  readonly secrets: readonly string[];
  /** Spans the loopback OTLP/HTTP receiver (OTEL_EXPORTER_OTLP_ENDPOINT) has received so far. */
  spans(): ReceivedSpan[];
  /**
   * A token signed by the JWKS verify serves, valid in every way except its audience; present
   * only when the project authenticates with JWTs.
   */
  readonly wrongAudienceToken?: string;
  /**
   * Starts another instance of the project with the same settings plus `env`, for probes that
   * stop it or break its dependencies; verify stops it at the end of the run. A port in `env`
   * (under `start.portEnv`) is used as given, for settings that name the instance's own address.
   */
  launch(env?: Record<string, string>): Promise<LocalInstance>;
  /** The environment the project runs in (its PATH decides which `node` runs it); tools verify runs beside it use it too. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A check proves one checklist item against a project. `src/verify/checks/<category>-<name>.ts`
 * holds the check of item `<category>.<name>`: its static part (files read through
 * `src/verify/readers/`) and its live part (probes through `src/verify/runtime/`). What
 * CHECKLIST.md says about the item is its `proof` in `src/core/checklist.ts`, where the generator
 * reads it without loading verify.
 *
 * The runner, not the check, reports `n/a` for patterns the item does not list, and turns a
 * thrown error into `skip`. A part that finds no evidence must not pass: it fails, or reports
 * `n/a`/`manual` with the reason.
 */
export interface Check {
  readonly item: ChecklistItem;
  /** Reads files, config and manifests only; never starts the project or opens a socket. */
  static?(ctx: StaticContext): Promise<CheckOutcome>;
  /** Probes a running instance. When both parts run, the worse status wins. */
  live?(ctx: LiveContext): Promise<CheckOutcome>;
  /**
   * The live part probes only instances it starts itself (`ctx.local.launch`), never the main
   * one: when verify started the project, it runs beside the other checks instead of after them.
   */
  readonly ownInstances?: boolean;
}

/** `pass` when there are no findings, otherwise `fail` (or `warn` when every finding is only a warning). */
export function conclude(
  passSummary: string,
  problems: { failures: Finding[]; warnings?: Finding[] },
  failSummary?: string,
): CheckOutcome {
  const warnings = (problems.warnings ?? []).map((warning): Finding => ({ ...warning, level: 'warning' }));
  if (problems.failures.length > 0) {
    return {
      status: 'fail',
      summary: failSummary ?? firstMessage(problems.failures),
      findings: [...problems.failures, ...warnings],
    };
  }
  if (warnings.length > 0) {
    return { status: 'warn', summary: `${passSummary}. Warning: ${firstMessage(warnings)}`, findings: warnings };
  }
  return { status: 'pass', summary: passSummary, findings: [] };
}

export function notApplicable(summary: string, findings: Finding[] = []): CheckOutcome {
  return { status: 'n/a', summary, findings };
}

export function manual(summary: string, findings: Finding[]): CheckOutcome {
  return { status: 'manual', summary, findings };
}

export function skipped(summary: string): CheckOutcome {
  return { status: 'skip', summary, findings: [] };
}

function firstMessage(findings: Finding[]): string {
  const [first] = findings;
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : '';
  return `${first?.message ?? 'problem found'}${more}`;
}

/** The checklist item with this id; a typo is a programming error, caught by the registry test. */
export function checklistItem(id: string): ChecklistItem {
  const item = CHECKLIST.find((candidate) => candidate.id === id);
  if (!item) throw new Error(`no checklist item ${id}`);
  return item;
}
