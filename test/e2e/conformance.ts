import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { ROOT } from '../cli/run-bin.js';
import { nodeBinDir } from './node-runtime.js';

/**
 * The official MCP conformance suite, as pinned in the workspace (node_modules/@modelcontextprotocol/
 * conformance), run against a live server for one requirement set. It needs Node >= 22: the Node 24
 * of node-runtime.ts runs it whatever Node runs the tests.
 */
export const CONFORMANCE_CLI = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

export type Requirements = '2026-07-28' | '2025-11-25';

/** What each requirement set must pass in full for every generated HTTP server. */
export const REQUIRED_SCENARIOS: Record<Requirements, readonly string[]> = {
  '2026-07-28': ['server-stateless', 'dns-rebinding-protection', 'http-header-validation', 'caching'],
  '2025-11-25': ['server-initialize', 'ping', 'tools-list', 'tools-call-error', 'dns-rebinding-protection'],
};

/** A check the suite reports as failed that is expected to fail, and why. */
export interface ExpectedFailure {
  scenario: string;
  check: string;
  reason: string;
}

const REFERENCE_TOOLS = "needs the suite's reference server tools";

/**
 * Checks of the required scenarios that can only pass on the suite's own reference server: they
 * call diagnostic tools (test_*) that a generated server does not have and should not ship.
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

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

export interface Check {
  id: string;
  status: CheckStatus;
  message?: string;
}

export interface ScenarioResult {
  scenario: string;
  /** Checks that count: passed or failed (warnings and notes are listed, not counted). */
  passed: number;
  run: number;
  checks: Check[];
}

export interface ConformanceReport {
  requirements: Requirements;
  scenarios: ScenarioResult[];
  /** Failed checks of the required scenarios not in the expected-failures list. */
  unexpected: Array<{ scenario: string; check: Check }>;
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
export function readResults(outputDir: string): ScenarioResult[] {
  const results: ScenarioResult[] = [];
  for (const entry of readdirSync(outputDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const name = entry.name.match(/^(?:server-)?(.+?)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/)?.[1];
    if (!name) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(outputDir, entry.name, 'checks.json'), 'utf8'));
    } catch {
      continue;
    }
    if (!Array.isArray(raw)) continue;
    const checks = raw.map(
      (item: { id?: unknown; status?: unknown; errorMessage?: unknown; description?: unknown }) => ({
        id: String(item.id),
        status: String(item.status) as CheckStatus,
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
  return results;
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
  return { requirements, scenarios, unexpected, fixed, missing, summary: `${requirements} ${lines.join(', ')}` };
}

/**
 * Runs the suite against `url` (the MCP endpoint) for one requirement set and assesses the
 * results. The suite's own exit code says whether everything it ran passed, which includes
 * scenarios outside the required ones; the report is what a test asserts on.
 */
export async function runConformance(
  url: string,
  requirements: Requirements,
  {
    expected = REFERENCE_TOOL_CHECKS,
    timeoutMs = 240_000,
  }: { expected?: readonly ExpectedFailure[]; timeoutMs?: number } = {},
): Promise<ConformanceReport> {
  const node = join(await nodeBinDir(24), 'node');
  const outputDir = mkdtempSync(join(tmpdir(), `conformance-${requirements}-`));
  try {
    const run = await execa(
      node,
      [CONFORMANCE_CLI, 'server', '--url', url, '--requirements', requirements, '-o', outputDir],
      {
        reject: false,
        stdin: 'ignore',
        timeout: timeoutMs,
        all: true,
      },
    );
    const scenarios = readResults(outputDir);
    if (scenarios.length === 0) {
      throw new Error(
        `the conformance suite reported no scenario (exit ${run.exitCode}):\n${(run.all ?? '').slice(-2000)}`,
      );
    }
    return assess(requirements, scenarios, expected);
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

/** A readable account of what went wrong, for an assertion message. */
export function describeProblems(report: ConformanceReport): string {
  return [
    ...report.missing.map((scenario) => `${scenario}: not reported`),
    ...report.unexpected.map(({ scenario, check }) => `${scenario} / ${check.id}: ${check.message ?? 'failed'}`),
    ...report.fixed.map((item) => `${item.scenario} / ${item.check}: passes now, remove it from the expected failures`),
  ].join('\n');
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

/**
 * Runs both requirement sets against `url` and fails on anything the expected failures do not
 * list (or list while it passes); prints each summary under `label`.
 */
export async function expectConformant(
  url: string,
  label: string,
  options: { expected?: readonly ExpectedFailure[] } = {},
): Promise<void> {
  for (const requirements of Object.keys(REQUIRED_SCENARIOS) as Requirements[]) {
    const report = await runConformance(url, requirements, options);
    console.log(`conformance (${label}) ${report.summary}`);
    expect(describeProblems(report), `${label}, ${requirements}`).toBe('');
  }
}
