import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';
import { PATTERN_IDS } from '../../src/core/ids.js';
import { CHECKS } from '../../src/verify/checks/index.js';
import type { VerifyReport } from '../../src/verify/report.js';
import { exitCodeFor, verify } from '../../src/verify/index.js';
import { makeProject, type Project } from './fixture.js';
import { envWithNode, nodeBinDir } from '../e2e/node-runtime.js';
import { installDependencies } from '../e2e/generated.js';

/**
 * `mcp-arch verify --live` on the real project of every pattern this version generates, as a
 * user runs it: generate, npm install, then verify builds, starts, probes and stops it.
 */
const PATTERNS = PATTERN_IDS;
const LIVE_CHECKS = new Set(CHECKS.filter((check) => check.live).map((check) => check.item.id));
const PROTOCOL_CHECKS = CHECKLIST.filter((item) => item.category === 'protocol').map((item) => item.id);

let env: Record<string, string>;
const projects: Project[] = [];
/** Wall time of each `verify --live` (build, start, every probe, stop), printed as a table at the end. */
const seconds: Record<string, number> = {};

beforeAll(async () => {
  env = envWithNode(await nodeBinDir(24));
}, 300_000);

afterAll(async () => {
  console.log(
    [
      'verify --live wall time per pattern (s):',
      ...Object.entries(seconds).map(([id, s]) => `  ${id.padEnd(14)} ${s.toFixed(1)}`),
    ].join('\n'),
  );
  // Every server verify started must be gone: none may still run from the generated projects.
  const { stdout } = await execa('ps', ['-eo', 'pid,args'], { reject: false });
  const { stdout: cwds } = await execa('sh', ['-c', 'for p in /proc/[0-9]*; do echo "$(readlink $p/cwd)"; done'], {
    reject: false,
  });
  const dirs = projects.map((project) => project.dir);
  expect(
    cwds.split('\n').filter((cwd) => dirs.some((dir) => cwd.startsWith(dir))),
    stdout,
  ).toEqual([]);
  await Promise.all(projects.map((project) => project.cleanup()));
});

describe.each(PATTERNS)('verify --live on the generated %s project', (pattern) => {
  let report: VerifyReport;
  let exitCode: number | undefined;

  beforeAll(async () => {
    // The generator itself (blueprint, render, write), in process: independent of a built dist.
    const project = await makeProject({ pattern });
    projects.push(project);
    const dir = project.dir;
    await installDependencies(dir, await nodeBinDir(24));
    // In process (the same code the bin runs), with the Node 24 PATH the project needs.
    const began = performance.now();
    report = await verify({ dir, live: true, env });
    seconds[pattern] = (performance.now() - began) / 1000;
    exitCode = exitCodeFor(report);
  }, 400_000);

  it('started the project itself and reached it', () => {
    expect(report.mode).toMatchObject({ static: true, live: true, started: true, reachable: true });
    // A freshly generated project passes its own checklist: nothing fails, statically or live.
    const failed = report.results
      .filter((result) => result.status === 'fail')
      .map((result) => `${result.id}: ${result.summary}`);
    expect(exitCode, failed.join('\n')).toBe(0);
  });

  it('proves the protocol live: the eras it promises, routing headers, HTTP methods and the official suite', () => {
    for (const id of PROTOCOL_CHECKS) {
      const entry = report.results.find((result) => result.id === id);
      expect(entry?.status, `${id}: ${entry?.summary}`).toBe('pass');
    }
    const conformance = report.results.find((result) => result.id === 'protocol.conformance');
    expect(conformance?.summary).toMatch(
      /live: @modelcontextprotocol\/conformance [^:]+: \[2026-07-28\] server-stateless passed/,
    );
    expect(conformance?.summary).toMatch(/\[2025-11-25\] server-initialize passed, ping passed/);
    // Readiness was matched against a real tools/list.
    expect(report.results.find((result) => result.id === 'resilience.health-checks')?.summary).toMatch(
      /GET \/ready answered 200; tools\/list in MCP 2026-07-28 listed \d+ tools/,
    );
  });

  it('ran every live probe that applies, and none of them failed', () => {
    for (const result of report.results) {
      if (!LIVE_CHECKS.has(result.id) || result.status === 'n/a') continue;
      expect(result.summary, result.id).toMatch(/live: /);
      expect(result.status, `${result.id}: ${result.summary}`).not.toBe('skip');
      // Live findings name no file; a failing finding without one is a live probe that failed.
      const liveFailures =
        result.status === 'fail' ? result.findings.filter((finding) => finding.file === undefined) : [];
      expect(
        liveFailures.map((finding) => finding.message),
        result.id,
      ).toEqual([]);
    }
  });
});
