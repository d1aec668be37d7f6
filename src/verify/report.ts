import type { Severity } from '../core/checklist.js';
import { CHECK_CATEGORIES, type CheckCategory } from '../core/ids.js';
import { CHECK_STATUSES, type CheckStatus, type Finding } from './check.js';

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
  /**
   * Set when the verify config file gives the check another severity: `severity` above is the
   * file's, `from` the checklist's. `--fail-on` and every report use the file's.
   */
  severityOverride?: { from: Severity; file: string };
  /** Set when the verify config file turns the check off (`status` is then `skip`): the reason it gives. */
  off?: { reason: string; file: string };
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
 * A category's score (`scoreOf` its counts): `null` when nothing in the category was scored.
 * `counts` says how many checks the score rests on (`scoreCoverage`).
 */
export interface CategoryScore {
  category: CheckCategory;
  counts: StatusCounts;
  score: number | null;
}

/**
 * The score of a set of results: `pass` counts fully, `warn` half, `fail` nothing; `skip`, `n/a`
 * and `manual` are left out. `null` when nothing was scored.
 */
export function scoreOf(counts: StatusCounts): number | null {
  const scored = counts.pass + counts.warn + counts.fail;
  return scored === 0 ? null : Math.round((100 * (counts.pass + counts.warn / 2)) / scored);
}

/** Counts and scores of results: in total and per category (categories without results left out). */
export function summarise(results: readonly CheckResult[]): VerifyReport['summary'] {
  const categories: CategoryScore[] = [];
  for (const category of CHECK_CATEGORIES) {
    const inCategory = results.filter((result) => result.category === category);
    if (inCategory.length === 0) continue;
    const counts = countStatuses(inCategory);
    categories.push({ category, counts, score: scoreOf(counts) });
  }
  return { total: results.length, counts: countStatuses(results), categories };
}

function countStatuses(results: readonly CheckResult[]): StatusCounts {
  const counts = Object.fromEntries(CHECK_STATUSES.map((status) => [status, 0])) as StatusCounts;
  for (const result of results) counts[result.status]++;
  return counts;
}

/** The score of the whole run (every category together, as `scoreOf` counts), with its coverage. */
export function overallScore(report: Pick<VerifyReport, 'summary'>): { score: number | null; ran: number; of: number } {
  return { score: scoreOf(report.summary.counts), ...scoreCoverage(report.summary) };
}

/**
 * What `--fail-under` (or `failUnder` in the config file) decided: the run's overall score
 * against the threshold. `met` is false when the score is below it; a run with no score (nothing
 * scored) is judged by the other exit rules, not by this one.
 */
export interface FailUnderVerdict {
  threshold: number;
  /** Where the threshold came from: `--fail-under`, or the config file's path. */
  source: string;
  score: number | null;
  ran: number;
  of: number;
  met: boolean;
}

/** Judges the report's overall score against `threshold` and records the verdict in the report. */
export function applyFailUnder(report: VerifyReport, threshold: number, source: string): VerifyReport {
  const { score, ran, of } = overallScore(report);
  return { ...report, failUnder: { threshold, source, score, ran, of, met: score === null || score >= threshold } };
}

/** Why the run fails `--fail-under`, or nothing when it does not: for every report format. */
export function failUnderLine(report: VerifyReport): { met: boolean; text: string } | undefined {
  const verdict = report.failUnder;
  if (!verdict) return undefined;
  const by = verdict.source === '--fail-under' ? '--fail-under' : `failUnder in ${verdict.source}`;
  const basis = `${verdict.ran} of ${verdict.of} check${verdict.of === 1 ? '' : 's'} ran`;
  if (verdict.score === null)
    return {
      met: true,
      text: `No overall score (no check produced a verdict): ${by} ${verdict.threshold} was not applied`,
    };
  return verdict.met
    ? { met: true, text: `Overall score ${verdict.score}% (${basis}) meets ${by} ${verdict.threshold}` }
    : {
        met: false,
        text: `Overall score ${verdict.score}% (${basis}) is below ${by} ${verdict.threshold}: the run fails. Raise the score (fix what fails or warns, let skipped checks run) or lower the threshold`,
      };
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
  /** Present when a score threshold was set (`--fail-under`, or `failUnder` in the verify config file). */
  failUnder?: FailUnderVerdict;
  /** Present when a verify config file was read (`--config`, or `mcp-arch.verify.json` in the project). */
  config?: { file: string };
  summary: {
    total: number;
    counts: StatusCounts;
    categories: CategoryScore[];
  };
}
