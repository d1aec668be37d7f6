import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../../core/tool-info.js';
import type { CheckOutcome, LiveContext, LocalInstance } from '../check.js';
import { servedEras, servedList, type Era } from './eras.js';
import { freePort } from './local.js';
import { isLoopback } from './http.js';
import { eraRequest, postMcp } from './mcp.js';

/** The npm package of the official MCP conformance suite. */
export const CONFORMANCE_PACKAGE = '@modelcontextprotocol/conformance';

/** The suite's requirement sets: one per protocol revision, each run at that revision's wire version. */
export type Requirements = '2026-07-28' | '2025-11-25';

/** The requirement set that holds a server of each era to its revision. */
export const ERA_REQUIREMENTS: Record<Era, Requirements> = { modern: '2026-07-28', legacy: '2025-11-25' };

/**
 * The scenarios of each requirement set that any server must pass in full: they exercise the
 * protocol itself, not the tools, prompts and resources of the suite's own reference server.
 */
export const REQUIRED_SCENARIOS: Record<Requirements, readonly string[]> = {
  '2026-07-28': ['server-stateless', 'dns-rebinding-protection', 'http-header-validation', 'caching'],
  '2025-11-25': ['server-initialize', 'ping', 'tools-list', 'tools-call-error', 'dns-rebinding-protection'],
};

/** A scenario that judges a localhost server only (it sends loopback Host and Origin headers). */
const LOOPBACK_ONLY_SCENARIO = 'dns-rebinding-protection';

/** A check the suite reports as failed that is expected to fail, and why. */
export interface ExpectedFailure {
  scenario: string;
  check: string;
  reason: string;
}

const REFERENCE_TOOLS = "needs the suite's reference server tools";

/**
 * Checks of the required scenarios that can only pass on the suite's own reference server: they
 * call diagnostic tools (test_*) that a production server does not have and should not ship.
 */
export const REFERENCE_TOOL_CHECKS: readonly ExpectedFailure[] = [
  {
    scenario: 'server-stateless',
    check: 'sep-2575-server-rejects-undeclared-capability',
    reason: `${REFERENCE_TOOLS} (test_missing_capability)`,
  },
  {
    scenario: 'server-stateless',
    check: 'sep-2575-missing-capability-http-400',
    reason: `${REFERENCE_TOOLS} (test_missing_capability)`,
  },
  {
    scenario: 'server-stateless',
    check: 'sep-2575-http-server-no-independent-requests-on-stream',
    reason: `${REFERENCE_TOOLS} (test_streaming_elicitation)`,
  },
  {
    scenario: 'server-stateless',
    check: 'sep-2575-server-no-log-without-loglevel',
    reason: `${REFERENCE_TOOLS} (test_logging_tool)`,
  },
  { scenario: 'tools-call-error', check: 'tools-call-error', reason: `${REFERENCE_TOOLS} (test_error_handling)` },
];

export type ConformanceCheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

/** One check of a scenario, as the suite recorded it. */
export interface ConformanceCheck {
  id: string;
  status: ConformanceCheckStatus;
  message?: string;
}

export interface ScenarioResult {
  scenario: string;
  /** Checks that count: passed or failed (warnings and notes are listed, not counted). */
  passed: number;
  run: number;
  checks: ConformanceCheck[];
}

export interface ConformanceReport {
  requirements: Requirements;
  scenarios: ScenarioResult[];
  /** The scenarios judged: the required ones this run could judge. */
  required: readonly string[];
  /** Failed checks of the required scenarios not in the expected-failures list. */
  unexpected: Array<{ scenario: string; check: ConformanceCheck }>;
  /** Expected failures that passed (the list is stale and should lose them). */
  fixed: ExpectedFailure[];
  /** Required scenarios the suite did not report at all. */
  missing: string[];
  /** "scenario: passed/run" per required scenario, for logs and notes. */
  summary: string;
}

/**
 * Reads the output directory of one run: a folder per scenario, named `<scenario>-<timestamp>`
 * (server scenarios prefixed `server-`), each holding `checks.json`, an array of checks.
 */
export async function readResults(outputDir: string): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const entry of await readdir(outputDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const name = entry.name.match(/^(?:server-)?(.+?)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/)?.[1];
    if (!name) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path.join(outputDir, entry.name, 'checks.json'), 'utf8'));
    } catch {
      continue;
    }
    if (!Array.isArray(raw)) continue;
    const checks = raw.map(
      (item: { id?: unknown; status?: unknown; errorMessage?: unknown; description?: unknown }) => ({
        id: String(item.id),
        status: String(item.status) as ConformanceCheckStatus,
        message:
          typeof item.errorMessage === 'string'
            ? item.errorMessage
            : typeof item.description === 'string'
              ? item.description
              : undefined,
      }),
    );
    const counted = checks.filter((check) => check.status === 'SUCCESS' || check.status === 'FAILURE');
    results.push({
      scenario: name,
      passed: counted.filter((check) => check.status === 'SUCCESS').length,
      run: counted.length,
      checks,
    });
  }
  return results.sort((a, b) => a.scenario.localeCompare(b.scenario));
}

/** Compares the results with the required scenarios and the expected failures. */
export function assess(
  requirements: Requirements,
  scenarios: ScenarioResult[],
  expected: readonly ExpectedFailure[] = REFERENCE_TOOL_CHECKS,
  required: readonly string[] = REQUIRED_SCENARIOS[requirements],
): ConformanceReport {
  const unexpected: ConformanceReport['unexpected'] = [];
  const fixed: ExpectedFailure[] = [];
  const missing: string[] = [];
  const lines: string[] = [];
  for (const scenario of required) {
    const result = scenarios.find((item) => item.scenario === scenario);
    if (!result) {
      missing.push(scenario);
      continue;
    }
    lines.push(`${scenario}: ${result.passed}/${result.run}`);
    for (const check of result.checks) {
      const known = expected.find((item) => item.scenario === scenario && item.check === check.id);
      if (check.status === 'FAILURE' && !known) unexpected.push({ scenario, check });
      if (check.status === 'SUCCESS' && known) fixed.push(known);
    }
  }
  return {
    requirements,
    scenarios,
    required,
    unexpected,
    fixed,
    missing,
    summary: `${requirements} ${lines.join(', ')}`,
  };
}

/** A readable account of what went wrong, one line per problem; empty when nothing did. */
export function describeProblems(report: ConformanceReport): string {
  return [
    ...report.missing.map((scenario) => `${scenario}: not reported`),
    ...report.unexpected.map(({ scenario, check }) => `${scenario} / ${check.id}: ${check.message ?? 'failed'}`),
    ...report.fixed.map((item) => `${item.scenario} / ${item.check}: passes now, remove it from the expected failures`),
  ].join('\n');
}

/** Where the suite was found: its CLI, its version and the folder it was resolved from. */
export interface ConformanceSuite {
  cli: string;
  version: string;
  /** The folder it was resolved from (the project, or create-mcp-arch itself). */
  from: string;
}

/**
 * The suite as installed beside the project or beside create-mcp-arch, looked up at run time (it
 * is never a dependency of the published CLI); undefined when neither can load it.
 */
export async function locateConformance(dirs: readonly string[]): Promise<ConformanceSuite | undefined> {
  for (const dir of dirs) {
    let manifestPath: string;
    try {
      manifestPath = createRequire(path.join(dir, 'package.json')).resolve(`${CONFORMANCE_PACKAGE}/package.json`);
    } catch {
      continue;
    }
    try {
      const pkg = JSON.parse(await readFile(manifestPath, 'utf8')) as {
        version?: string;
        bin?: string | Record<string, string>;
      };
      const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.conformance ?? Object.values(pkg.bin ?? {})[0]);
      if (!bin) continue;
      return { cli: path.join(path.dirname(manifestPath), bin), version: pkg.version ?? 'unknown', from: dir };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The suite's version create-mcp-arch is tested with (its own devDependency), for the install hint. */
export async function pinnedConformanceVersion(): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(path.join(packageRoot(), 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    return pkg.devDependencies?.[CONFORMANCE_PACKAGE];
  } catch {
    return undefined;
  }
}

/** The suite runs on Node 22 or later (it uses `fs.globSync`). */
export const CONFORMANCE_MIN_NODE_MAJOR = 22;

/**
 * A Node that can run the suite: this process's own when recent enough, else the `node` on the
 * PATH of each environment in turn (the project's first). Undefined when none is 22 or later.
 */
export async function conformanceNode(envs: readonly NodeJS.ProcessEnv[]): Promise<string | undefined> {
  if (Number(process.versions.node.split('.')[0]) >= CONFORMANCE_MIN_NODE_MAJOR) return process.execPath;
  for (const env of envs) {
    const found = await execa('node', ['-p', 'process.versions.node + " " + process.execPath'], {
      env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 15_000,
    });
    if (found.exitCode !== 0) continue;
    const [version, execPath] = String(found.stdout).trim().split(' ');
    if (execPath && Number(version?.split('.')[0]) >= CONFORMANCE_MIN_NODE_MAJOR) return execPath;
  }
  return undefined;
}

export interface RunConformanceOptions {
  /** The suite's CLI (`dist/index.js`). */
  cli: string;
  /** The Node that runs it (22 or later). */
  node: string;
  expected?: readonly ExpectedFailure[];
  /** The scenarios judged; default: the requirement set's REQUIRED_SCENARIOS. */
  required?: readonly string[];
  /** The whole run is stopped after this long. */
  timeoutMs?: number;
  /** Per scenario, passed to the suite. */
  scenarioTimeoutMs?: number;
}

/**
 * Runs the suite against `url` (the MCP endpoint) for one requirement set and assesses the
 * results. The suite's own exit code says whether everything it ran passed, which includes
 * scenarios that need its reference server; the report is what a caller judges.
 */
export async function runConformance(
  url: string,
  requirements: Requirements,
  {
    cli,
    node,
    expected = REFERENCE_TOOL_CHECKS,
    required = REQUIRED_SCENARIOS[requirements],
    timeoutMs = 240_000,
    scenarioTimeoutMs,
  }: RunConformanceOptions,
): Promise<ConformanceReport> {
  const outputDir = await mkdtemp(path.join(tmpdir(), `conformance-${requirements}-`));
  try {
    const run = await execa(
      node,
      [
        cli,
        'server',
        '--url',
        url,
        '--requirements',
        requirements,
        '-o',
        outputDir,
        ...(scenarioTimeoutMs ? ['--timeout', String(scenarioTimeoutMs)] : []),
      ],
      { reject: false, stdin: 'ignore', timeout: timeoutMs, all: true },
    );
    const scenarios = await readResults(outputDir);
    if (scenarios.length === 0) {
      const why = run.timedOut ? `stopped after ${timeoutMs} ms` : `exit ${run.exitCode}`;
      throw new Error(`the conformance suite reported no scenario (${why}): ${String(run.all ?? '').slice(-2000)}`);
    }
    return assess(requirements, scenarios, expected, required);
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

/**
 * The settings a server under the suite runs with: the suite sends no credentials, sends requests
 * in bursts, and its Origin is the server's own (loopback, by address and by name).
 */
export function conformanceSettings(port: number): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    AUTH_MODE: 'none',
    RATE_LIMIT_RPS: '0',
    ALLOWED_ORIGINS: `http://127.0.0.1:${port},http://localhost:${port}`,
    LOG_LEVEL: 'warn',
  };
}

/** How long verify lets one requirement set run, and each scenario in it. */
const VERIFY_RUN_TIMEOUT_MS = 60_000;
const VERIFY_SCENARIO_TIMEOUT_MS = 15_000;

/** The `once` key of the conformance run. */
export const CONFORMANCE = 'conformance';

/**
 * Runs the suite for `verify --live` once per run and shares the outcome: `protocol.eras` starts
 * it (it then runs beside the other checks, on an instance of its own) and `protocol.conformance`
 * reports it. Never rejects: what could not run is a skip that says why.
 */
export function startConformance(ctx: LiveContext): Promise<CheckOutcome> {
  return ctx.once(CONFORMANCE, () =>
    conformanceOutcome(ctx).catch((error: unknown): CheckOutcome => ({
      status: 'skip',
      summary: `The conformance suite could not run: ${(error as Error).message.split('\n')[0]}`,
      findings: [],
    })),
  );
}

async function conformanceOutcome(ctx: LiveContext): Promise<CheckOutcome> {
  const skip = (summary: string): CheckOutcome => ({ status: 'skip', summary, findings: [] });
  const eras = servedList(await servedEras(ctx));
  if (eras.length === 0) return skip('The server serves no protocol era the suite could test');

  const suite = await locateConformance([...(ctx.project ? [ctx.project.dir] : []), packageRoot()]);
  const pinned = await pinnedConformanceVersion();
  const install = `npm i -D ${CONFORMANCE_PACKAGE}${pinned ? `@${pinned}` : ''}`;
  if (!suite)
    return skip(
      `The official conformance suite is not installed: run \`${install}\` in the project (it needs Node >= ${CONFORMANCE_MIN_NODE_MAJOR}), then verify --live again`,
    );
  const node = await conformanceNode([...(ctx.local?.env ? [ctx.local.env] : []), process.env]);
  if (!node)
    return skip(
      `The conformance suite (${CONFORMANCE_PACKAGE} ${suite.version}) needs Node >= ${CONFORMANCE_MIN_NODE_MAJOR}, and none was found on PATH: install Node ${CONFORMANCE_MIN_NODE_MAJOR} or later and put it first on PATH`,
    );

  let target: string;
  let instance: LocalInstance | undefined;
  let loopback: boolean;
  if (ctx.local) {
    // The suite sends no credentials and bursts its requests: it gets an instance of its own
    // without authentication or rate limits, whose allowed Origin is its own address.
    const port = await freePort();
    instance = await ctx.local.launch({ PORT: String(port), ...conformanceSettings(port) });
    target = `${instance.url}${new URL(ctx.mcpUrl).pathname}`;
    loopback = true;
  } else {
    const { body, headers } = eraRequest('modern', 1, 'server/discover', {});
    const anonymous = await postMcp(ctx, body, headers, false);
    if (anonymous.status === 401 || anonymous.status === 403)
      return skip(
        `The server answers ${anonymous.status} without credentials, and the conformance suite sends none: run it against an instance that needs none (verify --live without --url starts one for the project)`,
      );
    target = ctx.mcpUrl;
    loopback = isLoopback(new URL(ctx.mcpUrl).hostname);
  }
  try {
    const reports = await Promise.all(
      eras.map((era) => {
        const requirements = ERA_REQUIREMENTS[era];
        const required = REQUIRED_SCENARIOS[requirements].filter(
          (scenario) => loopback || scenario !== LOOPBACK_ONLY_SCENARIO,
        );
        return runConformance(target, requirements, {
          cli: suite.cli,
          node,
          required,
          timeoutMs: VERIFY_RUN_TIMEOUT_MS,
          scenarioTimeoutMs: VERIFY_SCENARIO_TIMEOUT_MS,
        });
      }),
    );
    return judge(reports, suite, loopback);
  } finally {
    await instance?.stop('SIGTERM', 10_000);
  }
}

/** One result from the reports: each required scenario by name, with every unexpected failure as a finding. */
export function judge(reports: readonly ConformanceReport[], suite: ConformanceSuite, loopback = true): CheckOutcome {
  const findings = reports.flatMap((report) => [
    ...report.missing.map((scenario) => ({
      message: `[${report.requirements}] scenario ${scenario} was not reported by the suite`,
      remediation: `Run npx conformance server --url <MCP endpoint> --requirements ${report.requirements} and read why ${scenario} did not run.`,
    })),
    ...report.unexpected.map(({ scenario, check }) => ({
      message: `[${report.requirements}] ${scenario} / ${check.id} failed: ${check.message ?? 'no message'}`,
      remediation: `Run npx conformance server --url <MCP endpoint> --scenario ${scenario} --spec-version ${report.requirements} for the details, and fix what it names.`,
    })),
  ]);
  const line = (report: ConformanceReport) => {
    const judged = report.required.map((scenario) => {
      const result = report.scenarios.find((item) => item.scenario === scenario);
      if (!result) return `${scenario} not reported`;
      const failed = report.unexpected.filter((entry) => entry.scenario === scenario).length;
      const expected = result.checks.filter(
        (check) =>
          check.status === 'FAILURE' &&
          !report.unexpected.some((entry) => entry.scenario === scenario && entry.check === check),
      ).length;
      const verdict = failed > 0 ? `failed (${failed} of ${result.run} checks)` : 'passed';
      const needs = expected === 1 ? '1 check needs' : `${expected} checks need`;
      return `${scenario} ${verdict}${expected > 0 ? ` (${needs} the suite's reference tools)` : ''}`;
    });
    const others =
      report.scenarios.length - report.required.filter((scenario) => !report.missing.includes(scenario)).length;
    return `[${report.requirements}] ${judged.join(', ')}; ${others} other scenarios of the set need the suite's reference server and are not judged`;
  };
  const where = loopback ? '' : ` (${LOOPBACK_ONLY_SCENARIO} not judged: it needs a loopback URL)`;
  const summary = `${CONFORMANCE_PACKAGE} ${suite.version}: ${reports.map(line).join('; ')}${where}`;
  if (findings.length > 0) return { status: 'fail', summary, findings };
  return { status: 'pass', summary, findings: [] };
}
