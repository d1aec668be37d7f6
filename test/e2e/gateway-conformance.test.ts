import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-bin.js';
import {
  conformanceSettings,
  requirementSetScenarios,
  runRequirementSet,
  type Requirements,
  type ScenarioResult,
} from './conformance.js';
import { generateInstalled } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { eventually, freePort, waitForHealth } from './processes.js';

/**
 * The gateway in passthrough (one backend, empty prefix, no authentication, no rate limit) must
 * be invisible to the official conformance suite: every server scenario of both requirement sets
 * runs against a backend built for the suite's scenarios (test/fixtures/conformance-backend.mjs),
 * first directly, then through a generated gateway in front of it over HTTP and over stdio. What
 * passes directly must pass through the gateway, check by check.
 */
const FIXTURE = join(ROOT, 'test', 'fixtures', 'conformance-backend.mjs');
const REQUIREMENT_SETS: readonly Requirements[] = ['2026-07-28', '2025-11-25'];
/** How long one requirement set may run against one server. */
const SUITE_TIMEOUT_MS = 180_000;
/**
 * Scenarios the backend does not serve, and why; every other scenario of both sets must pass in
 * full when the suite talks to it directly.
 */
const NOT_SERVED: Record<string, string> = Object.fromEntries(
  [
    'tasks-lifecycle',
    'tasks-capability-negotiation',
    'tasks-wire-fields',
    'tasks-request-state-removal',
    'tasks-mrtr-input',
    'tasks-request-headers',
    'tasks-dispatch-and-envelope',
    'tasks-status-notifications',
    'tasks-required-task-error',
    'tasks-mrtr-composition',
  ].map((scenario) => [scenario, 'the tasks extension (io.modelcontextprotocol/tasks), not scored, not served']),
);

const work = mkdtempSync(join(tmpdir(), 'e2e-gateway-conformance-'));
const TAG = `e2e-conformance-stdio-${process.pid}-${Date.now()}`;
let node24: string;
let app: string;
let fixture: ResultPromise | undefined;
const gateways: ResultPromise[] = [];
const targets: Record<'direct' | 'gateway-http' | 'gateway-stdio', string> = {
  direct: '',
  'gateway-http': '',
  'gateway-stdio': '',
};

/** Fixture processes started by a gateway for this run (their command line carries the tag). */
function taggedProcesses(): number[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(TAG) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

function signalGroup(child: ResultPromise, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the process group, SIGKILL when it has not exited within `graceMs`. */
async function stop(child: ResultPromise, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await child.then(
    () => undefined,
    () => undefined,
  );
  clearTimeout(timer);
}

/** The fixture over HTTP on a port of its own; resolves with its MCP endpoint. */
async function startFixture(): Promise<string> {
  const child = execa(join(node24, 'node'), [FIXTURE, '--http', '0'], {
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  fixture = child;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /listening (\d+)/.exec(out);
      if (found) resolve(Number(found[1]));
    });
    void child.then((result) => reject(new Error(`the fixture exited early: ${String(result.stderr).slice(-2000)}`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

/** The generated gateway (`npm start`) in passthrough in front of one backend; resolves with its MCP endpoint. */
async function startGateway(name: string, backend: Record<string, unknown>): Promise<string> {
  const port = await freePort();
  const config = `${name}.config.json`;
  writeFileSync(join(app, config), JSON.stringify({ mcpServers: { conformance: { ...backend, prefix: '' } } }));
  const child = execa('npm', ['start'], {
    cwd: app,
    env: envWithNode(node24, {
      PORT: String(port),
      ...conformanceSettings(port),
      // A 2025 client keeps a session, so what the backend asks of it mid-call (sampling,
      // elicitation) and its subscriptions reach that client.
      SESSION_MODE: 'stateful',
      GATEWAY_CONFIG: config,
      ENV_FILE: '',
    }),
    reject: false,
    stdin: 'ignore',
    detached: true,
    all: true,
  });
  gateways.push(child);
  try {
    await waitForHealth(`http://127.0.0.1:${port}/health`, child, 120_000);
  } catch (error) {
    await stop(child);
    throw new Error(`${(error as Error).message}; the gateway said:\n${String((await child).all ?? '').slice(-3000)}`);
  }
  return `http://127.0.0.1:${port}/mcp`;
}

/** Each check of each scenario by a stable key (`scenario / check`, numbered when a scenario repeats a check id). */
function checkStatuses(results: ScenarioResult[]): Map<string, { status: string; message?: string }> {
  const statuses = new Map<string, { status: string; message?: string }>();
  for (const result of results) {
    const seen = new Map<string, number>();
    for (const check of result.checks) {
      const n = (seen.get(check.id) ?? 0) + 1;
      seen.set(check.id, n);
      const key = `${result.scenario} / ${check.id}${n > 1 ? ` #${n}` : ''}`;
      statuses.set(key, { status: check.status, ...(check.message ? { message: check.message } : {}) });
    }
  }
  return statuses;
}

const passed = (statuses: Map<string, { status: string }>) =>
  new Set([...statuses].filter(([, value]) => value.status === 'SUCCESS').map(([key]) => key));

/** One line per check whose outcome differs between the two runs, with what each run said. */
function differences(
  direct: Map<string, { status: string; message?: string }>,
  through: Map<string, { status: string; message?: string }>,
): string[] {
  const keys = [...new Set([...direct.keys(), ...through.keys()])].sort();
  return keys
    .filter((key) => direct.get(key)?.status !== through.get(key)?.status)
    .map((key) => {
      const there = through.get(key);
      return `${key}: directly ${direct.get(key)?.status ?? 'not reported'}, through the gateway ${there?.status ?? 'not reported'}${there?.message ? ` (${there.message.slice(0, 300)})` : ''}`;
    });
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  try {
    return await work();
  } finally {
    console.log(`${label}: ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  }
}

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  app = await timed('generate and install the gateway', () =>
    generateInstalled(work, 'app', ['--pattern', 'gateway'], node24),
  );
  targets.direct = await startFixture();
  // One after the other: `npm start` builds the project first, and two builds would share dist/.
  await timed('start both gateways', async () => {
    targets['gateway-http'] = await startGateway('http-backend', { url: targets.direct });
    targets['gateway-stdio'] = await startGateway('stdio-backend', {
      command: join(node24, 'node'),
      args: [FIXTURE, '--stdio', TAG],
    });
  });
}, 400_000);

afterAll(async () => {
  // Gateways first (they end their stdio backends), then the fixture.
  await Promise.all(gateways.map((child) => stop(child)));
  if (fixture) await stop(fixture);
  const left = await eventually(taggedProcesses, (pids) => pids.length === 0, 'the stdio backends to exit').catch(() =>
    taggedProcesses(),
  );
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
  expect(left, 'stdio backends left running after the gateway stopped').toEqual([]);
}, 60_000);

describe.each(REQUIREMENT_SETS)('the conformance suite, requirement set %s', { timeout: 600_000 }, (requirements) => {
  let direct: Map<string, { status: string; message?: string }>;

  it('passes in full directly against the backend (but for what it does not serve)', async () => {
    const results = await timed(`[${requirements}] direct`, () =>
      runRequirementSet(targets.direct, requirements, { timeoutMs: SUITE_TIMEOUT_MS }),
    );
    direct = checkStatuses(results);
    const { scored, notScored } = await requirementSetScenarios(requirements);
    const reported = new Set(results.map((result) => result.scenario));
    const missing = [...scored, ...notScored].filter((scenario) => !reported.has(scenario));
    const failed = results
      .filter((result) => !(result.scenario in NOT_SERVED))
      .flatMap((result) =>
        result.checks
          .filter((check) => check.status === 'FAILURE')
          .map((check) => `${result.scenario} / ${check.id}: ${check.message ?? 'failed'}`),
      );
    const served = results.filter((result) => !(result.scenario in NOT_SERVED));
    const skipped = results.filter((result) => result.scenario in NOT_SERVED).map((result) => result.scenario);
    console.log(
      `[${requirements}] direct: ${served.length} scenarios served, ${passed(direct).size} checks passed` +
        (skipped.length > 0 ? `; not served: ${skipped.join(', ')} (${NOT_SERVED[skipped[0]!]})` : ''),
    );
    expect(missing, 'scenarios of the requirement set the suite did not report').toEqual([]);
    expect(failed.join('\n'), 'checks failing directly against the backend').toBe('');
  });

  it.each(['gateway-http', 'gateway-stdio'] as const)(
    'passes the same checks through the gateway in passthrough (%s)',
    async (target) => {
      expect(direct, 'the direct run did not complete').toBeDefined();
      const results = await timed(`[${requirements}] ${target}`, () =>
        runRequirementSet(targets[target], requirements, { timeoutMs: SUITE_TIMEOUT_MS }),
      );
      const through = checkStatuses(results);
      const changed = differences(direct, through);
      if (changed.length > 0) console.log(`[${requirements}] ${target} differs from direct:\n${changed.join('\n')}`);
      const lost = [...passed(direct)].filter((key) => !passed(through).has(key));
      const gained = [...passed(through)].filter((key) => !passed(direct).has(key));
      console.log(
        `[${requirements}] ${target}: ${passed(through).size} checks passed (directly ${passed(direct).size})`,
      );
      expect(
        [...lost.map((key) => `lost: ${key}`), ...gained.map((key) => `gained: ${key}`)].join('\n'),
        `checks passing directly and through the gateway (${target}) differ:\n${changed.join('\n')}`,
      ).toBe('');
    },
  );
});
