import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import {
  describeProblems,
  REFERENCE_TOOL_CHECKS,
  REQUIRED_SCENARIOS,
  runConformance as runSuite,
  type ConformanceReport,
  type ExpectedFailure,
  type Requirements,
  type ScenarioResult,
} from '../../src/verify/runtime/conformance.js';
import { ROOT } from '../cli/run-bin.js';
import { nodeBinDir } from './node-runtime.js';

export {
  assess,
  conformanceSettings,
  describeProblems,
  readResults,
  REFERENCE_TOOL_CHECKS,
  REQUIRED_SCENARIOS,
  type ConformanceReport,
  type ExpectedFailure,
  type Requirements,
  type ScenarioResult,
} from '../../src/verify/runtime/conformance.js';

/**
 * The official MCP conformance suite, as pinned in the workspace (node_modules/@modelcontextprotocol/
 * conformance), run against a live server for one requirement set. It needs Node >= 22: the Node 24
 * of node-runtime.ts runs it whatever Node runs the tests.
 */
export const CONFORMANCE_CLI = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

/** Runs one requirement set against `url` with the workspace's suite on Node 24. */
export async function runConformance(
  url: string,
  requirements: Requirements,
  {
    expected = REFERENCE_TOOL_CHECKS,
    timeoutMs = 240_000,
  }: { expected?: readonly ExpectedFailure[]; timeoutMs?: number } = {},
): Promise<ConformanceReport> {
  const node = join(await nodeBinDir(24), 'node');
  return runSuite(url, requirements, { cli: CONFORMANCE_CLI, node, expected, timeoutMs });
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

/**
 * The server scenarios of a requirement set as its file in the workspace's suite names them: the
 * scored ones and those it runs without scoring (extensions, pending, added after the release).
 */
export async function requirementSetScenarios(
  requirements: Requirements,
): Promise<{ scored: string[]; notScored: string[] }> {
  const file = join(
    ROOT,
    'node_modules',
    '@modelcontextprotocol',
    'conformance',
    'requirements',
    `${requirements}.yaml`,
  );
  const set = parse(await readFile(file, 'utf8')) as {
    server?: string[];
    not_scored?: Array<{ scenario: string; leg: string }>;
  };
  return {
    scored: set.server ?? [],
    notScored: (set.not_scored ?? []).filter((item) => item.leg === 'server').map((item) => item.scenario),
  };
}

/**
 * Runs every server scenario of a requirement set (`--requirements`, scored or not) against `url`
 * with the workspace's suite on Node 24, and returns what each scenario recorded.
 */
export async function runRequirementSet(
  url: string,
  requirements: Requirements,
  { timeoutMs = 240_000 }: { timeoutMs?: number } = {},
): Promise<ScenarioResult[]> {
  const node = join(await nodeBinDir(24), 'node');
  const report = await runSuite(url, requirements, {
    cli: CONFORMANCE_CLI,
    node,
    expected: [],
    required: [],
    timeoutMs,
  });
  return report.scenarios;
}
