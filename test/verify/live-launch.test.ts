import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, InterruptedError, UserError } from '../../src/core/errors.js';
import type { CheckCategory } from '../../src/core/ids.js';
import { exitCodeFor, verify, type VerifyReport } from '../../src/verify/index.js';
import { spansFromJson, spansFromProtobuf } from '../../src/verify/runtime/loopback.js';
import { envWithNode, nodeBinDir } from '../e2e/node-runtime.js';
import { makeProject, type Project, type ProjectOptions } from './fixture.js';

/** The server `verify --live` starts in these tests, broken through FAULTS one way at a time. */
const SERVER = path.join(import.meta.dirname, 'launched-server.mjs');

const result = (report: VerifyReport, id: string) => report.results.find((entry) => entry.id === id);
const messages = (report: VerifyReport, id: string) =>
  (result(report, id)?.findings ?? []).map((finding) => finding.message).join('\n');

let env: NodeJS.ProcessEnv;
let scratch: string;
const projects: Project[] = [];

beforeAll(async () => {
  env = envWithNode(await nodeBinDir(24));
  scratch = await mkdtemp(path.join(tmpdir(), 'mcp-arch-launch-'));
}, 300_000);
afterAll(async () => {
  await Promise.all(projects.map((project) => project.cleanup()));
  await rm(scratch, { recursive: true, force: true });
});

async function launchedProject(options: ProjectOptions = {}, start: Record<string, unknown> = {}): Promise<Project> {
  const project = await makeProject({
    ...options,
    manifest: { ...options.manifest, start: { run: `node ${SERVER}`, build: undefined, ...start } },
  });
  projects.push(project);
  return project;
}

let pidFiles = 0;
/** Runs verify --live on a project with the given faults; returns the report and the pids it started. */
async function liveRun(
  project: Project,
  only: CheckCategory[],
  faults: string[] = [],
  signal?: AbortSignal,
): Promise<{ report: VerifyReport; pids: number[] }> {
  const pidFile = path.join(scratch, `pids-${pidFiles++}.txt`);
  try {
    const report = await verify({
      dir: project.dir,
      live: true,
      only,
      env: { ...env, FAULTS: faults.join(','), PID_FILE: pidFile },
      ...(signal ? { signal } : {}),
    });
    return { report, pids: await pidsIn(pidFile) };
  } finally {
    for (const pid of await pidsIn(pidFile)) expect(alive(pid), `process ${pid} was left running`).toBe(false);
  }
}

async function pidsIn(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('verify --live starts the project itself', () => {
  it('passes logs, tracing and graceful shutdown on a well-behaved server, and stops every process it started', async () => {
    const project = await launchedProject();
    const { report, pids } = await liveRun(project, ['observability', 'resilience']);
    expect(report.mode).toMatchObject({ static: true, live: true, started: true, reachable: true });
    expect(result(report, 'observability.structured-logging')?.summary).toMatch(/live: \d+ log lines, all JSON/);
    expect(result(report, 'observability.structured-logging')?.status).toBe('pass');
    expect(result(report, 'observability.tracing')?.summary).toMatch(
      /live: Spans continue the caller's trace \(child of the caller's span\) at the loopback OTLP receiver, from \[2025-11-25\] the traceparent header/,
    );
    expect(result(report, 'observability.tracing')?.status).toBe('pass');
    expect(result(report, 'resilience.graceful-shutdown')?.summary).toMatch(
      /live: A slow_count call in flight at SIGTERM completed/,
    );
    expect(result(report, 'resilience.graceful-shutdown')?.status).toBe('pass');
    // The main instance and the one stopped by the shutdown probe.
    expect(pids.length).toBe(2);
  }, 60_000);

  it.each([
    ['plain-logs', 'observability.structured-logging', /log lines are not JSON objects/],
    ['no-request-id', 'observability.structured-logging', /No log line carries a request id/],
    [
      'log-credentials',
      'observability.structured-logging',
      /canary token sent as a credential or argument appears[\s\S]*configured credential appears/,
    ],
    ['no-spans', 'observability.tracing', /No span reached the OTLP receiver/],
    [
      'new-trace',
      'observability.tracing',
      /none in the trace of \[2025-11-25\] the traceparent header: the server starts new traces/,
    ],
    ['exit-on-sigterm', 'resilience.graceful-shutdown', /call in flight at SIGTERM did not complete/],
    ['exit-1', 'resilience.graceful-shutdown', /exited with 1, not 0/],
  ])(
    'fails when the server is broken with %s',
    async (fault, id, message) => {
      const project = await launchedProject();
      const category = id.split('.')[0] as CheckCategory;
      const { report } = await liveRun(project, [category], [fault]);
      expect(result(report, id)?.status).toBe('fail');
      expect(messages(report, id)).toMatch(message);
      expect(exitCodeFor(report)).toBe(EXIT.failed);
    },
    60_000,
  );

  it('proves readiness goes 503 with the store unreachable, and fails a server whose readiness ignores it', async () => {
    const project = await launchedProject({ store: 'redis' });
    const good = await liveRun(project, ['resilience']);
    expect(result(good.report, 'resilience.health-checks')?.summary).toMatch(
      /with the redis store unreachable, \/ready answered 503 while \/health answered 200/,
    );
    expect(result(good.report, 'resilience.health-checks')?.status).toBe('pass');
    const broken = await liveRun(project, ['resilience'], ['ready-ignores-store']);
    expect(result(broken.report, 'resilience.health-checks')?.status).toBe('fail');
    expect(messages(broken.report, 'resilience.health-checks')).toMatch(
      /redis store unreachable, GET \/ready answered 200, not 503/,
    );
  }, 90_000);

  it('runs a loopback JWKS for jwt projects: a token for another audience must get 401', async () => {
    const project = await launchedProject({ authMode: 'jwt' });
    const good = await liveRun(project, ['security']);
    expect(result(good.report, 'security.authentication')?.summary).toMatch(
      /and a token for another audience, all get 401/,
    );
    expect(result(good.report, 'security.authentication')?.status).toBe('pass');
    const broken = await liveRun(project, ['security'], ['ignore-audience']);
    expect(result(broken.report, 'security.authentication')?.status).toBe('fail');
    expect(messages(broken.report, 'security.authentication')).toMatch(
      /correctly signed token for another audience answered 200/,
    );
  }, 120_000);

  it("drives a gateway's circuit breaker through a failing backend it controls, and fails one without a breaker", async () => {
    const project = await launchedProject({ pattern: 'gateway' });
    const good = await liveRun(project, ['resilience']);
    const passing = result(good.report, 'resilience.circuit-breakers');
    expect(passing?.summary).toMatch(
      /live: With a failing backend the breaker stopped calls to it after \d+ call\(s\) and let calls through again/,
    );
    expect(passing?.status, messages(good.report, 'resilience.circuit-breakers')).toBe('pass');
    const broken = await liveRun(project, ['resilience'], ['no-breaker']);
    expect(result(broken.report, 'resilience.circuit-breakers')?.status).toBe('fail');
    expect(messages(broken.report, 'resilience.circuit-breakers')).toMatch(
      /the gateway kept calling it: the last 4 of 10 calls reached the backend 4 time\(s\)/,
    );
  }, 90_000);

  it('names what the last call got when calls still fail after the backend recovered', async () => {
    const project = await launchedProject({ pattern: 'gateway' });
    const { report } = await liveRun(project, ['resilience'], ['no-half-open']);
    expect(result(report, 'resilience.circuit-breakers')?.status).toBe('fail');
    expect(messages(report, 'resilience.circuit-breakers')).toMatch(
      /calls still failed \(the last one got the tool error "circuit open"\): the breaker never half-opens/,
    );
  }, 60_000);

  it('says so when the gateway it probes exits, with what it printed, instead of judging its breaker', async () => {
    const project = await launchedProject({ pattern: 'gateway' });
    const { report } = await liveRun(project, ['resilience'], ['exit-on-backend-failure']);
    expect(result(report, 'resilience.circuit-breakers')?.status).toBe('fail');
    const text = messages(report, 'resilience.circuit-breakers');
    expect(text).toMatch(
      /exited during it \(code 3\), so its breaker could not be judged; its last output:\nbackend failed: exiting/,
    );
    expect(text).not.toMatch(/kept calling it|never half-opens/);
  }, 60_000);

  it('stops the project when the run is interrupted', async () => {
    const project = await launchedProject();
    const controller = new AbortController();
    const pidFile = path.join(scratch, 'pids-abort.txt');
    const run = verify({ dir: project.dir, live: true, env: { ...env, PID_FILE: pidFile }, signal: controller.signal });
    while ((await pidsIn(pidFile)).length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    const pids = await pidsIn(pidFile);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 60_000);
});

describe('verify --live refuses what it cannot start, with the fix', () => {
  it('says which node is on PATH when it is older than 22.13 (exit 2)', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'old-node-'));
    await writeFile(path.join(bin, 'node'), '#!/bin/sh\necho v20.11.1\n');
    await chmod(path.join(bin, 'node'), 0o755);
    const project = await launchedProject();
    try {
      const error = await verify({ dir: project.dir, live: true, env: { ...process.env, PATH: bin } }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(EXIT.usage);
      expect((error as UserError).message).toMatch(
        /v20\.11\.1; the generated project needs Node >= 22\.13[\s\S]*put it first on PATH/,
      );
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('needs start.run in mcp-arch.json (exit 2)', async () => {
    const project = await launchedProject({}, { run: undefined });
    await expect(verify({ dir: project.dir, live: true, env })).rejects.toThrow(/no "start.run"/);
  });

  it('refuses shell syntax in start.run, naming the field', async () => {
    const project = await launchedProject({}, { run: 'node dist/index.js && echo hi' });
    await expect(verify({ dir: project.dir, live: true, env })).rejects.toThrow(
      /"start.run" .* must be a plain command/,
    );
  });

  it('reports a build that fails (exit 2) with its output', async () => {
    const project = await launchedProject({}, { build: 'node build-that-does-not-exist.mjs' });
    const error = (await verify({ dir: project.dir, live: true, env }).catch((caught: unknown) => caught)) as UserError;
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toMatch(
      /could not build the project: `node build-that-does-not-exist.mjs` exited with 1[\s\S]*Cannot find module/,
    );
  });

  it('reports a server that exits before answering (exit 3) with what it printed', async () => {
    const project = await launchedProject({}, { run: 'node server-that-does-not-exist.mjs' });
    const error = (await verify({ dir: project.dir, live: true, env }).catch((caught: unknown) => caught)) as UserError;
    expect(error.exitCode).toBe(EXIT.nothingChecked);
    expect(error.message).toMatch(/exited with 1 before answering \/health[\s\S]*Cannot find module/);
  });
});

describe('OTLP receiver decoding', () => {
  it('reads span ids from JSON and from protobuf exports', () => {
    const json = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            { spans: [{ traceId: 'AB'.repeat(16), spanId: '01'.repeat(8), parentSpanId: '02'.repeat(8), name: 'x' }] },
          ],
        },
      ],
    });
    expect(spansFromJson(json)).toEqual([
      { traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), parentSpanId: '02'.repeat(8), name: 'x' },
    ]);
    // ExportTraceServiceRequest { resource_spans(1) { scope_spans(2) { spans(2) { trace_id(1), span_id(2), parent_span_id(4), name(5) } } } }
    const field = (number: number, bytes: Buffer) =>
      Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
    const span = Buffer.concat([
      field(1, Buffer.alloc(16, 0xab)),
      field(2, Buffer.alloc(8, 1)),
      field(4, Buffer.alloc(8, 2)),
      field(5, Buffer.from('x')),
    ]);
    const request = field(1, field(2, field(2, span)));
    expect(spansFromProtobuf(request)).toEqual([
      { traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), parentSpanId: '02'.repeat(8), name: 'x' },
    ]);
    expect(spansFromProtobuf(Buffer.from('not protobuf at all'))).toEqual([]);
  });
});
