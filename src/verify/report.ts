import type { Severity } from '../core/checklist.js';
import type { CheckCategory } from '../core/ids.js';
import type { CheckStatus, Finding } from './check.js';

/** Version of the JSON report; bumped on any breaking change to its shape. */
export const REPORT_SCHEMA_VERSION = 1;

/** Whether the server serves one protocol era. */
export interface EraReport {
  era: 'modern' | 'legacy';
  /** The protocol revision probed, e.g. `2026-07-28`. */
  version: string;
  served: boolean;
  reason?: string;
}

/** Whether credentials were sent and whether the server let them past authentication. */
export interface CredentialsReport {
  given: boolean;
  refused: boolean;
  /** HTTP status of the initialize sent with them. */
  status: number;
}

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
 * `manual` are left out. `null` when nothing in the category was scored. `counts` says how
 * many checks the score rests on (`scoreCoverage`).
 */
export interface CategoryScore {
  category: CheckCategory;
  counts: StatusCounts;
  score: number | null;
}

/**
 * How many checks a score rests on: `ran` produced a verdict (pass, warn, fail) out of `of` that
 * apply (every result but `n/a`). Every rendered score shows it: 100% of 1 is not 100% of 5.
 */
export function scoreCoverage(entry: Pick<CategoryScore, 'counts'>): { ran: number; of: number } {
  const { counts } = entry;
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return { ran: counts.pass + counts.warn + counts.fail, of: total - counts['n/a'] };
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
  mode: {
    static: boolean;
    live: boolean;
    url?: string;
    mcpUrl?: string;
    reachable?: boolean;
    started?: boolean;
    /**
     * The protocol eras the live probes found, in the order they were tried: 2026-07-28
     * (`server/discover`), then the 2025 era (`initialize`); `reason` says why one is not served.
     * Live results that depend on the era name it (`[2026-07-28] ...`) in their summary and findings.
     */
    eras?: EraReport[];
    /**
     * What the server made of the credentials (present when the live target answered): one
     * initialize without Origin, with the `--header` credentials (or those verify configured for
     * the project it started). `refused` when it got 401 or 403: the probes that need to get past
     * authentication skipped. Credentials given and refused fail the run (exit 1).
     */
    credentials?: CredentialsReport;
  };
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
