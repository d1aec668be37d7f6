import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CHECKLIST, type Severity } from '../core/checklist.js';
import { EXIT, InterruptedError, type ExitCode } from '../core/errors.js';
import type { CheckCategory } from '../core/ids.js';
import { MANIFEST_FILE, type Manifest } from '../core/manifest.js';
import {
  type Check,
  type CheckOutcome,
  type CheckStatus,
  type Finding,
  type LiveContext,
  type StaticContext,
} from './check.js';
import { CHECKS } from './checks/index.js';
import { authGate } from './checks/security-authentication.js';
import { createStaticContext } from './readers/files.js';
import { createLiveContext, liveTarget, reachability } from './runtime/context.js';
import { UnreachableError } from './runtime/http.js';
import { ERA_VERSION, ERAS, SERVED_ERAS, servedEras } from './runtime/eras.js';
import { startLocal } from './runtime/local.js';
import { parseVerifyOptions, type VerifyRequest } from './options.js';
import { SEVERITIES } from './formats.js';
import { loadManifest } from './readers/manifest.js';
import { toolInfo } from '../core/tool-info.js';
import {
  REPORT_SCHEMA_VERSION,
  summarise,
  type CheckResult,
  type CredentialsReport,
  type EraReport,
  type VerifyReport,
} from './report.js';

/**
 * Options of `verify()`: what to check (validated by `parseVerifyOptions`, the same rules the
 * CLI's flags go through) and what a program or test may inject.
 */
export interface VerifyOptions extends VerifyRequest {
  /**
   * The generated project's root (holds `mcp-arch.json`). With `url`, it may hold none.
   * `live` without `url` makes verify start the project from `mcp-arch.json` (`start.build`,
   * `start.run`) on a free loopback port, probe it and stop it.
   */
  dir: string;
  /** Milliseconds since the epoch; injectable so reports are reproducible in tests. */
  clock?: () => number;
  /** Checks to run; defaults to the full registry. */
  checks?: readonly Check[];
  fetch?: typeof globalThis.fetch;
  /** Environment the started project runs in (`--live` without `url`); PATH decides its `node`. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Aborting stops a started project and ends the run. */
  signal?: AbortSignal;
}

/**
 * Runs the checklist against a generated project, a running instance (`url`), or both, and
 * returns the report. Throws UserError (exit 2) for a missing or invalid `mcp-arch.json`
 * (missing is fine with `url`: only the live parts run) or invalid options; check problems
 * are results, never exceptions.
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const { dir: root, only, live: wantsLive, url: given, replicas, headers } = parseVerifyOptions(options);
  const starting = wantsLive && given === undefined;
  // Starting the project needs its manifest; probing a URL does not.
  const manifest = given && !(await hasManifest(root)) ? undefined : await loadManifest(root);
  const ctx = manifest ? createStaticContext(root, manifest) : undefined;
  const registry = options.checks ?? CHECKS;
  const probing = (starting || Boolean(given)) && registry.some((check) => check.live);
  const run =
    starting && probing && manifest
      ? await startLocal({
          dir: root,
          manifest,
          env: options.env ?? process.env,
          ...(options.signal ? { signal: options.signal } : {}),
        })
      : undefined;
  try {
    const url = run ? new URL(run.url) : given;
    const live =
      url && probing
        ? createLiveContext({
            target: liveTarget(url, manifest?.start),
            headers: { ...run?.headers, ...headers },
            fetch: options.fetch ?? globalThis.fetch,
            ...(ctx ? { project: ctx } : {}),
            ...(run ? { local: run.local } : {}),
            ...(replicas ? { replicas } : {}),
          })
        : undefined;
    return await runChecks({
      options,
      clock,
      started,
      only,
      manifest,
      ctx,
      registry,
      live,
      url,
      root,
      probing,
      startedByVerify: Boolean(run),
    });
  } finally {
    await run?.close();
  }
}

interface RunChecksInput {
  options: VerifyOptions;
  clock: () => number;
  started: number;
  only: CheckCategory[] | undefined;
  manifest: Manifest | undefined;
  ctx: StaticContext | undefined;
  registry: readonly Check[];
  live: LiveContext | undefined;
  url: URL | undefined;
  root: string;
  probing: boolean;
  startedByVerify: boolean;
}

async function runChecks({
  options,
  clock,
  started,
  only,
  manifest,
  ctx,
  registry,
  live,
  url,
  root,
  probing,
  startedByVerify,
}: RunChecksInput): Promise<VerifyReport> {
  const results: CheckResult[] = [];
  const applies = (item: (typeof CHECKLIST)[number]) =>
    !(only && !only.includes(item.category)) && !(manifest && !item.patterns.includes(manifest.pattern));
  // Probes that start instances of their own (and mostly wait on timers there) run beside the rest.
  const early = new Map<string, Promise<CheckOutcome>>();
  if (live?.local && ctx) {
    for (const check of registry) {
      if (check.ownInstances && check.live && check.static && applies(check.item)) {
        const probeLive = check.live.bind(check);
        early.set(
          check.item.id,
          runPart(() => probeLive(live)),
        );
      }
    }
  }
  for (const item of CHECKLIST) {
    if (only && !only.includes(item.category)) continue;
    if (options.signal?.aborted) throw new InterruptedError('Interrupted: verify stopped the project it started.');
    const begun = clock();
    const check = registry.find((candidate) => candidate.item.id === item.id);
    let outcome: CheckOutcome;
    if (manifest && !item.patterns.includes(manifest.pattern)) {
      outcome = {
        status: 'n/a',
        summary: `Does not apply to the ${manifest.pattern} pattern (applies to ${item.patterns.join(', ')})`,
        findings: [],
      };
    } else if (!ctx) {
      // No project: the pattern is unknown, so every item applies and only live parts can speak.
      outcome =
        live && check?.live
          ? await runPart(() => (check.live as (ctx: LiveContext) => Promise<CheckOutcome>)(live))
          : {
              status: 'skip',
              summary: `No project to read (no ${MANIFEST_FILE} in ${root}) and no live probe for this item`,
              findings: [],
            };
    } else if (!check?.static) {
      outcome = { status: 'skip', summary: 'No static check is available for this item', findings: [] };
    } else {
      outcome = await runPart(() => (check.static as (ctx: StaticContext) => Promise<CheckOutcome>)(ctx));
      // A static n/a ("cannot be proven from files") is exactly what a live probe can settle.
      if (live && check.live) {
        outcome = mergeOutcomes(
          outcome,
          await (early.get(item.id) ??
            runPart(() => (check.live as (ctx: LiveContext) => Promise<CheckOutcome>)(live))),
        );
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

  const reach = live ? await reachability(live) : undefined;
  const eras = live && reach?.ok && live.asked(SERVED_ERAS) ? await erasReport(live) : undefined;
  const credentials = live && reach?.ok ? await credentialsReport(live) : undefined;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: toolInfo(),
    project: manifest
      ? { dir: root, name: manifest.name, pattern: manifest.pattern }
      : { dir: root, name: url?.host ?? path.basename(root), pattern: null },
    mode: {
      static: Boolean(manifest),
      live: probing,
      ...(url ? { url: url.toString().replace(/\/$/, '') } : {}),
      ...(live ? { mcpUrl: live.mcpUrl, reachable: reach?.ok ?? false } : {}),
      ...(startedByVerify ? { started: true } : {}),
      ...(eras ? { eras } : {}),
      ...(credentials ? { credentials } : {}),
    },
    startedAt: new Date(started).toISOString(),
    durationMs: Math.max(0, clock() - started),
    results,
    summary: summarise(results),
  };
}

/** The eras the live probes found (the answer the checks already got); none when the probe could not run. */
async function erasReport(live: LiveContext): Promise<EraReport[] | undefined> {
  try {
    const found = await servedEras(live);
    return ERAS.map((era) => {
      const probe = found[era];
      return {
        era,
        version: ERA_VERSION[era],
        served: probe.served,
        ...(probe.served ? {} : { reason: probe.reason }),
      };
    });
  } catch {
    return undefined;
  }
}

/**
 * What the server made of the credentials: the answer the checks already got, or one initialize
 * when no check asked (e.g. `--only observability`). None when that probe could not run.
 */
async function credentialsReport(live: LiveContext): Promise<CredentialsReport | undefined> {
  try {
    const { given, refused, status } = await authGate(live);
    return { given, refused, status };
  } catch {
    return undefined;
  }
}

/** Runs one part; an exception means the check could not run, which is a skip, never a pass. */
async function runPart(part: () => Promise<CheckOutcome>): Promise<CheckOutcome> {
  try {
    return await part();
  } catch (error) {
    if (error instanceof UnreachableError) return { status: 'skip', summary: error.message, findings: [] };
    return { status: 'skip', summary: `Could not run: ${(error as Error).message}`, findings: [] };
  }
}

async function hasManifest(root: string): Promise<boolean> {
  try {
    await stat(path.join(root, MANIFEST_FILE));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * When both parts ran, the less favourable status wins and the findings of both are kept;
 * except that a live pass outranks failures found only by reading source text: they stay as
 * warnings (the property was observed; the code no longer reads as verify expects).
 */
const MERGE_RANK: readonly CheckStatus[] = ['fail', 'warn', 'skip', 'manual', 'pass', 'n/a'];

export function mergeOutcomes(staticPart: CheckOutcome, livePart: CheckOutcome): CheckOutcome {
  const failures = staticPart.findings.filter((finding) => finding.level !== 'warning');
  if (
    livePart.status === 'pass' &&
    staticPart.status === 'fail' &&
    failures.length > 0 &&
    failures.every((finding) => finding.from === 'source-text')
  ) {
    const [first] = failures;
    return {
      status: 'warn',
      summary: `live: ${livePart.summary}. Warning: the source text does not read as expected, though the probe proves the property: ${first?.message ?? ''}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`,
      findings: [
        ...staticPart.findings.map((finding): Finding => ({ ...finding, level: 'warning' })),
        ...livePart.findings,
      ],
    };
  }
  const status =
    MERGE_RANK.indexOf(livePart.status) < MERGE_RANK.indexOf(staticPart.status) ? livePart.status : staticPart.status;
  return {
    status,
    summary: `${staticPart.summary}; live: ${livePart.summary}`,
    findings: [...staticPart.findings, ...livePart.findings],
  };
}

const SEVERITY_RANK: readonly Severity[] = SEVERITIES;

/** Options of `exitCodeFor`. */
export interface ExitCodeOptions {
  /** Only failures of this severity or above fail the run; default `low` (any failure). */
  failOn?: Severity;
}

/**
 * The process exit code for a report: 1 when a check failed (at or above `failOn`) and the
 * baseline does not accept it, when the overall score is below the `failUnder` threshold the
 * report records, or when a baseline entry is stale; 3 when the live target could not
 * be reached; 1 when the server refused the credentials given (a user-facing failure: an expired
 * or wrong token must not leave CI green, though the checks that ran still prove what they
 * prove, so it is not "nothing could be checked"); 3 when no check produced a verdict
 * (everything skipped, n/a or manual); otherwise 0.
 */
export function exitCodeFor(report: VerifyReport, options: ExitCodeOptions = {}): ExitCode {
  const threshold = SEVERITY_RANK.indexOf(options.failOn ?? 'low');
  const failed = report.results.some(
    (result) => result.status === 'fail' && !result.accepted && SEVERITY_RANK.indexOf(result.severity) >= threshold,
  );
  if (failed) return EXIT.failed;
  // Below the score threshold (`--fail-under`, or the config file's `failUnder`): the report says why.
  if (report.failUnder && !report.failUnder.met) return EXIT.failed;
  // A baseline entry that no longer matches a failure must be removed, or it would hide the next one.
  if ((report.baseline?.stale.length ?? 0) > 0) return EXIT.failed;
  // Live probes were the point of the run; an unreachable target proves nothing either way.
  if (report.mode.live && report.mode.reachable === false) return EXIT.nothingChecked;
  if (report.mode.credentials?.given && report.mode.credentials.refused) return EXIT.failed;
  const ran = report.results.some(
    (result) => result.status === 'pass' || result.status === 'fail' || result.status === 'warn',
  );
  return ran ? EXIT.ok : EXIT.nothingChecked;
}

export { toolInfo };
