import { readFileSync } from 'node:fs';
import { CHECKLIST, type Severity } from '../core/checklist.js';
import { EXIT, UserError, type ExitCode } from '../core/errors.js';
import { CHECK_CATEGORIES, type CheckCategory } from '../core/ids.js';
import { CHECK_STATUSES, type Check, type CheckOutcome, type CheckStatus, type LiveContext, type StaticContext } from './check.js';
import { CHECKS } from './checks/index.js';
import { createStaticContext } from './context.js';
import { loadManifest } from './manifest.js';
import { REPORT_SCHEMA_VERSION, type CategoryScore, type CheckResult, type StatusCounts, type VerifyReport } from './report.js';

/** Options of `verify()`; the CLI maps its flags onto them. */
export interface VerifyOptions {
  /** The generated project's root (holds `mcp-arch.json`). */
  dir: string;
  /** Only these categories; the others are left out of the report. */
  only?: CheckCategory[];
  /** Also run live parts against a running instance at `url`. */
  live?: boolean;
  url?: string;
  /** Sent with every live probe (e.g. credentials). */
  headers?: Record<string, string>;
  /** Milliseconds since the epoch; injectable so reports are reproducible in tests. */
  clock?: () => number;
  /** Checks to run; defaults to the full registry. */
  checks?: readonly Check[];
  fetch?: typeof globalThis.fetch;
}

/**
 * Runs the checklist against a generated project and returns the report. Throws UserError
 * (exit 2) for a missing or invalid `mcp-arch.json` or invalid options; check problems are
 * results, never exceptions.
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const only = validateOnly(options.only);
  const url = options.live ? validateUrl(options.url) : undefined;
  const manifest = await loadManifest(options.dir);
  const ctx = createStaticContext(options.dir, manifest);
  const registry = options.checks ?? CHECKS;

  const results: CheckResult[] = [];
  for (const item of CHECKLIST) {
    if (only && !only.includes(item.category)) continue;
    const begun = clock();
    const check = registry.find((candidate) => candidate.item.id === item.id);
    let outcome: CheckOutcome;
    if (!item.patterns.includes(manifest.pattern)) {
      outcome = { status: 'n/a', summary: `Does not apply to the ${manifest.pattern} pattern (applies to ${item.patterns.join(', ')})`, findings: [] };
    } else if (!check?.static) {
      outcome = { status: 'skip', summary: 'No static check is available for this item', findings: [] };
    } else {
      outcome = await runPart(() => (check.static as (ctx: StaticContext) => Promise<CheckOutcome>)(ctx));
      if (url && check.live && outcome.status !== 'n/a') {
        const live: LiveContext = { ...ctx, url, headers: options.headers ?? {}, fetch: options.fetch ?? globalThis.fetch };
        outcome = mergeOutcomes(outcome, await runPart(() => (check.live as (ctx: LiveContext) => Promise<CheckOutcome>)(live)));
      }
    }
    results.push({
      id: item.id,
      category: item.category,
      title: item.title,
      severity: item.severity,
      status: outcome.status,
      summary: outcome.summary,
      findings: outcome.findings,
      durationMs: Math.max(0, clock() - begun),
    });
  }

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: toolInfo(),
    project: { dir: ctx.dir, name: manifest.name, pattern: manifest.pattern },
    mode: { static: true, live: Boolean(url) && registry.some((check) => check.live), ...(url ? { url } : {}) },
    startedAt: new Date(started).toISOString(),
    durationMs: Math.max(0, clock() - started),
    results,
    summary: summarise(results),
  };
}

/** Runs one part; an exception means the check could not run, which is a skip, never a pass. */
async function runPart(part: () => Promise<CheckOutcome>): Promise<CheckOutcome> {
  try {
    return await part();
  } catch (error) {
    return { status: 'skip', summary: `Could not run: ${(error as Error).message}`, findings: [] };
  }
}

/** When both parts ran, the less favourable status wins and the findings of both are kept. */
const MERGE_RANK: readonly CheckStatus[] = ['fail', 'warn', 'skip', 'manual', 'pass', 'n/a'];

export function mergeOutcomes(staticPart: CheckOutcome, livePart: CheckOutcome): CheckOutcome {
  const status = MERGE_RANK.indexOf(livePart.status) < MERGE_RANK.indexOf(staticPart.status) ? livePart.status : staticPart.status;
  return { status, summary: `${staticPart.summary}; live: ${livePart.summary}`, findings: [...staticPart.findings, ...livePart.findings] };
}

function summarise(results: readonly CheckResult[]): VerifyReport['summary'] {
  const categories: CategoryScore[] = [];
  for (const category of CHECK_CATEGORIES) {
    const inCategory = results.filter((result) => result.category === category);
    if (inCategory.length === 0) continue;
    const counts = countStatuses(inCategory);
    const scored = counts.pass + counts.warn + counts.fail;
    categories.push({ category, counts, score: scored === 0 ? null : Math.round((100 * (counts.pass + counts.warn / 2)) / scored) });
  }
  return { total: results.length, counts: countStatuses(results), categories };
}

function countStatuses(results: readonly CheckResult[]): StatusCounts {
  const counts = Object.fromEntries(CHECK_STATUSES.map((status) => [status, 0])) as StatusCounts;
  for (const result of results) counts[result.status]++;
  return counts;
}

const SEVERITY_RANK: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Options of `exitCodeFor`. */
export interface ExitCodeOptions {
  /** Only failures of this severity or above fail the run; default `low` (any failure). */
  failOn?: Severity;
}

/**
 * The process exit code for a report: 1 when a check failed (at or above `failOn`), 3 when no
 * check produced a verdict (everything skipped, n/a or manual), otherwise 0.
 */
export function exitCodeFor(report: VerifyReport, options: ExitCodeOptions = {}): ExitCode {
  const threshold = SEVERITY_RANK.indexOf(options.failOn ?? 'low');
  const failed = report.results.some((result) => result.status === 'fail' && SEVERITY_RANK.indexOf(result.severity) >= threshold);
  if (failed) return EXIT.failed;
  const ran = report.results.some((result) => result.status === 'pass' || result.status === 'fail' || result.status === 'warn');
  return ran ? EXIT.ok : EXIT.nothingChecked;
}

function validateOnly(only: readonly string[] | undefined): CheckCategory[] | undefined {
  if (!only || only.length === 0) return undefined;
  for (const category of only) {
    if (!(CHECK_CATEGORIES as readonly string[]).includes(category)) {
      throw new UserError(`--only ${category} is not a checklist category. Use one of: ${CHECK_CATEGORIES.join(', ')}.`, EXIT.usage);
    }
  }
  return [...only] as CheckCategory[];
}

function validateUrl(url: string | undefined): string {
  if (!url) throw new UserError('--live needs the address of a running instance: pass --url <http://host:port>.', EXIT.usage);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--url ${url} is not a URL. Pass e.g. --url http://127.0.0.1:3000.`, EXIT.usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserError(`--url ${url} must be http:// or https://.`, EXIT.usage);
  }
  return parsed.toString().replace(/\/$/, '');
}

let cachedTool: { name: string; version: string } | undefined;

/** This package's name and version, read once from its package.json (two levels up from src/ or dist/). */
export function toolInfo(): { name: string; version: string } {
  if (!cachedTool) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string };
      cachedTool = { name: pkg.name ?? 'create-mcp-arch', version: pkg.version ?? '0.0.0' };
    } catch {
      cachedTool = { name: 'create-mcp-arch', version: '0.0.0' };
    }
  }
  return cachedTool;
}
