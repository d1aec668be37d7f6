import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckCategory } from '../../src/core/ids.js';
import type { CheckResult, VerifyReport } from '../../src/verify/report.js';
import { verify } from '../../src/verify/index.js';
import { installDependencies } from '../e2e/generated.js';
import { envWithNode, nodeBinDir } from '../e2e/node-runtime.js';
import { makeProject, type Project, type ProjectOptions } from './fixture.js';

/**
 * `verify --live` losing a replica of a real generated project (two replicas, the machine's
 * Redis, the project's nginx.conf run by nginx) and counting the stdio backend processes of a
 * real generated gateway; each check also on the project broken the way it exists to catch.
 */
let env: Record<string, string>;
let node24: string;
const projects: Project[] = [];

const result = (report: VerifyReport, id: string): CheckResult => {
  const found = report.results.find((entry) => entry.id === id);
  if (!found) throw new Error(`no result for ${id}`);
  return found;
};
const messages = (entry: CheckResult) => entry.findings.map((finding) => finding.message).join('\n');

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  env = envWithNode(node24);
}, 300_000);

afterAll(async () => {
  // Nothing verify started may outlive the run: no process runs from a project's folder.
  const { stdout } = await execa('sh', ['-c', 'for p in /proc/[0-9]*; do echo "$(readlink $p/cwd)"; done'], {
    reject: false,
  });
  const dirs = projects.map((project) => project.dir);
  expect(stdout.split('\n').filter((cwd) => dirs.some((dir) => cwd.startsWith(dir)))).toEqual([]);
  await Promise.all(projects.map((project) => project.cleanup()));
});

async function generated(options: ProjectOptions): Promise<Project> {
  const project = await makeProject(options);
  projects.push(project);
  await installDependencies(project.dir, node24);
  return project;
}

async function live(project: Project, only: CheckCategory[]): Promise<VerifyReport> {
  return verify({ dir: project.dir, live: true, only, env });
}

describe('verify --live kills a replica of the generated load-balanced project', () => {
  let project: Project;
  beforeAll(async () => {
    project = await generated({ pattern: 'load-balanced', store: 'redis', sessionMode: 'stateful' });
  }, 300_000);

  it('counts every 2025 session and 2026-07-28 stream as survived, through the project nginx.conf', async () => {
    const started = Date.now();
    const report = await live(project, ['resilience']);
    const survival = result(report, 'resilience.session-survival');
    expect(survival.status, `${survival.summary}\n${messages(survival)}`).toBe('pass');
    expect(survival.summary).toMatch(
      /live: 8 of 8 sessions survived \(4 of 4 2025 sessions answered; 4 of 4 subscriptions\/listen streams re-opened with their ack\), two replicas behind the project's nginx\.conf \(nginx on loopback\), the one that served \d of 8 killed/,
    );
    expect(result(report, 'resilience.stdio-lifecycle').status).toBe('n/a');
    // Bounded: two replicas started, probed, one killed, all stopped.
    expect(survival.durationMs).toBeLessThan(20_000);
    expect(Date.now() - started).toBeLessThan(120_000);
  }, 180_000);

  it('fails when the replicas keep sessions to themselves', async () => {
    // Broken: the registry gets no shared store, so a replica cannot rebuild another's session.
    await project.edit('src/start.ts', (text) => text.replace(/store: sessionStore\b/, 'store: undefined'));
    try {
      const report = await live(project, ['resilience']);
      const survival = result(report, 'resilience.session-survival');
      expect(survival.status, survival.summary).toBe('fail');
      expect(survival.summary).toMatch(/live: [0-7] of 8 sessions survived \([0-3] of 4 2025 sessions answered/);
      expect(messages(survival)).toMatch(/the other replica did not carry on what the killed one served/);
    } finally {
      await project.edit('src/start.ts', (text) => text.replace(/store: undefined\b/, 'store: sessionStore'));
    }
  }, 180_000);
});

describe('verify --live counts the stdio backend processes of the generated gateway', () => {
  it('sees the processes of dropped sessions end within the idle timeout', async () => {
    const project = await generated({ pattern: 'gateway', sessionMode: 'stateful' });
    const report = await live(project, ['resilience']);
    const lifecycle = result(report, 'resilience.stdio-lifecycle');
    // The generated gateway closes idle sessions, and with them the stdio processes they started.
    expect(lifecycle.status, `${lifecycle.summary}\n${messages(lifecycle)}`).toBe('pass');
    expect(lifecycle.summary).toMatch(
      /live: (\d+) child processes at rest, \d+ with 3 2025-11-25 sessions calling local__echo; dropped without DELETE, backend process \d+ killed: back to \1 within 6 s/,
    );
  }, 240_000);
});

describe('verify --live kills a replica of the generated gateway with Redis', () => {
  it('counts every session as survived: a gateway replica rebuilds the sessions of another', async () => {
    const project = await generated({
      pattern: 'gateway',
      store: 'redis',
      sessionMode: 'stateful',
      deploy: ['docker', 'compose'],
    });
    const report = await live(project, ['resilience']);
    const survival = result(report, 'resilience.session-survival');
    expect(survival.status, `${survival.summary}\n${messages(survival)}`).toBe('pass');
    expect(survival.summary).toMatch(/live: 8 of 8 sessions survived \(4 of 4 2025 sessions answered; 4 of 4 /);
  }, 240_000);
});
