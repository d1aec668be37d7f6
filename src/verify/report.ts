import type { Severity } from '../core/checklist.js';
import type { CheckCategory } from '../core/ids.js';
import type { CheckStatus, Finding } from './check.js';

/** Version of the JSON report; bumped on any breaking change to its shape. */
export const REPORT_SCHEMA_VERSION = 1;

/** One checklist item's result. */
export interface CheckResult {
  id: string;
  category: CheckCategory;
  title: string;
  severity: Severity;
  status: CheckStatus;
  summary: string;
  findings: Finding[];
  durationMs: number;
  /** Set on a `fail` the baseline file accepts: it is reported, but does not fail the run. */
  accepted?: { reason: string };
}

/** What the baseline file did: how many failures it accepted, and its entries that no longer hold. */
export interface BaselineSummary {
  file: string;
  accepted: number;
  /** Entries to remove: their check now passes (or does not apply), or is not a check at all. Any of them fails the run. */
  stale: { check: string; reason: string; problem: string }[];
}

export type StatusCounts = Record<CheckStatus, number>;

/**
 * A category's score: `pass` counts fully, `warn` half, `fail` nothing; `skip`, `n/a` and
 * `manual` are left out. `null` when nothing in the category was scored.
 */
export interface CategoryScore {
  category: CheckCategory;
  counts: StatusCounts;
  score: number | null;
}

/** The result of `mcp-arch verify`: what `--format json` prints, and what every reporter renders. */
export interface VerifyReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: string; version: string };
  /**
   * The project verified. Without `mcp-arch.json` (live probes of any MCP server) `pattern` is
   * `null` and `name` is the probed host.
   */
  project: { dir: string; name: string; pattern: string | null };
  /**
   * Which parts ran: static when there was a project to read; live when a URL was given and a
   * check has a live part. `mcpUrl` is the endpoint probed; `reachable` is false when the
   * instance never answered (every live part then reports `skip`). `started` is true when
   * verify started the project itself (`--live` without `--url`) and stopped it afterwards.
   */
  mode: { static: boolean; live: boolean; url?: string; mcpUrl?: string; reachable?: boolean; started?: boolean };
  startedAt: string;
  durationMs: number;
  results: CheckResult[];
  /** Present when a baseline file was read (`--baseline`, or `mcp-arch.baseline.json` in the project). */
  baseline?: BaselineSummary;
  summary: {
    total: number;
    counts: StatusCounts;
    categories: CategoryScore[];
  };
}
