import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/tool-info.js';
import {
  assess,
  judge,
  locateConformance,
  pinnedConformanceVersion,
  readResults,
  REQUIRED_SCENARIOS,
  type ScenarioResult,
} from '../../src/verify/runtime/conformance.js';

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-conformance-'));
  made.push(dir);
  return dir;
};

const passed = (scenario: string, checks = 2): ScenarioResult => ({
  scenario,
  passed: checks,
  run: checks,
  checks: Array.from({ length: checks }, (_, index) => ({ id: `${scenario}-${index}`, status: 'SUCCESS' as const })),
});
const suite = { cli: '/suite/dist/index.js', version: '0.2.0-alpha.12', from: '/project' };

describe('the conformance suite, read and judged', () => {
  it('reads the per-scenario checks.json files of a run, skipping what is not a scenario', async () => {
    const out = await tempDir();
    await mkdir(path.join(out, 'server-ping-2026-12-02T17-36-38-770Z'));
    await writeFile(
      path.join(out, 'server-ping-2026-12-02T17-36-38-770Z', 'checks.json'),
      JSON.stringify([
        { id: 'ping', status: 'SUCCESS' },
        { id: 'ping-shape', status: 'FAILURE', errorMessage: 'no result' },
        { id: 'info', status: 'INFO', description: 'server info' },
      ]),
    );
    await mkdir(path.join(out, 'not-a-scenario'));
    expect(await readResults(out)).toEqual([
      {
        scenario: 'ping',
        passed: 1,
        run: 2,
        checks: [
          { id: 'ping', status: 'SUCCESS', message: undefined },
          { id: 'ping-shape', status: 'FAILURE', message: 'no result' },
          { id: 'info', status: 'INFO', message: 'server info' },
        ],
      },
    ]);
  });

  it('passes when every required scenario passes, counting the checks that need the reference tools apart', () => {
    const stateless = passed('server-stateless', 3);
    stateless.checks.push({ id: 'sep-2575-server-no-log-without-loglevel', status: 'FAILURE', message: 'no tool' });
    stateless.run = 4;
    const report = assess('2026-07-28', [
      stateless,
      ...REQUIRED_SCENARIOS['2026-07-28'].slice(1).map((name) => passed(name)),
      passed('tools-call-image'),
    ]);
    const outcome = judge([report], suite);
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toBe(
      "@modelcontextprotocol/conformance 0.2.0-alpha.12: [2026-07-28] server-stateless passed (1 check needs the suite's reference tools), dns-rebinding-protection passed, http-header-validation passed, caching passed; 1 other scenarios of the set need the suite's reference server and are not judged",
    );
  });

  it('fails on a failed check of a required scenario, naming the scenario, the check and why', () => {
    const rebinding: ScenarioResult = {
      scenario: 'dns-rebinding-protection',
      passed: 1,
      run: 2,
      checks: [
        { id: 'localhost-host-valid-accepted', status: 'SUCCESS' },
        { id: 'localhost-host-rebinding-rejected', status: 'FAILURE', message: 'Expected HTTP 4xx, got 200' },
      ],
    };
    const report = assess('2025-11-25', [
      ...REQUIRED_SCENARIOS['2025-11-25'].filter((name) => name !== rebinding.scenario).map((name) => passed(name)),
      rebinding,
    ]);
    const outcome = judge([report], suite);
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('dns-rebinding-protection failed (1 of 2 checks)');
    expect(outcome.findings.map((finding) => finding.message)).toEqual([
      '[2025-11-25] dns-rebinding-protection / localhost-host-rebinding-rejected failed: Expected HTTP 4xx, got 200',
    ]);
  });

  it('fails when a required scenario was not reported at all', () => {
    const outcome = judge([assess('2025-11-25', [passed('ping')])], suite);
    expect(outcome.status).toBe('fail');
    expect(outcome.findings[0]?.message).toBe('[2025-11-25] scenario server-initialize was not reported by the suite');
  });
});

describe('finding the suite at run time', () => {
  it('loads it from create-mcp-arch itself, at the version pinned in its package.json', async () => {
    const found = await locateConformance([packageRoot()]);
    expect(found?.cli).toMatch(/node_modules\/@modelcontextprotocol\/conformance\/dist\/index\.js$/);
    expect(found?.version).toBe(await pinnedConformanceVersion());
  });

  it('prefers the project, and finds nothing where neither has it installed', async () => {
    const bare = await tempDir();
    expect(await locateConformance([bare])).toBeUndefined();
    const project = await tempDir();
    const installed = path.join(project, 'node_modules', '@modelcontextprotocol', 'conformance');
    await mkdir(installed, { recursive: true });
    await writeFile(
      path.join(installed, 'package.json'),
      JSON.stringify({
        name: '@modelcontextprotocol/conformance',
        version: '9.9.9',
        bin: { conformance: 'dist/index.js' },
      }),
    );
    expect(await locateConformance([project, packageRoot()])).toEqual({
      cli: path.join(installed, 'dist', 'index.js'),
      version: '9.9.9',
      from: project,
    });
  });
});
