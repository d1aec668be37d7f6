import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor, verify, type VerifyReport } from '../../src/verify/index.js';
import type { CheckResult } from '../../src/verify/report.js';
import { eraServer, hardenedServer, plainServer, type RunningServer } from './live-servers.js';
import { protocolServer, type ProtocolServer } from './live-protocol-servers.js';
import { makeProject, type Project } from './fixture.js';
import { nodeBinDir } from '../e2e/node-runtime.js';

const result = (report: VerifyReport, id: string) => report.results.find((entry) => entry.id === id) as CheckResult;
const messages = (entry: CheckResult | undefined) => entry?.findings.map((finding) => finding.message).join('\n') ?? '';

let empty: string;
const servers: Array<ProtocolServer | RunningServer> = [];
const projects: Project[] = [];
const started = async <T extends ProtocolServer | RunningServer>(server: Promise<T>): Promise<T> => {
  const running = await server;
  servers.push(running);
  return running;
};
const project = async (...options: Parameters<typeof makeProject>): Promise<Project> => {
  const made = await makeProject(...options);
  projects.push(made);
  return made;
};

beforeAll(async () => {
  empty = await mkdtemp(path.join(tmpdir(), 'mcp-arch-protocol-'));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await Promise.all(projects.map((made) => made.cleanup()));
  await rm(empty, { recursive: true, force: true });
});

describe('protocol checks against a server on the SDK v2 handler (verify --url)', () => {
  let report: VerifyReport;
  beforeAll(async () => {
    const server = await started(protocolServer());
    report = await verify({ dir: (await project()).dir, url: server.url, only: ['protocol'] });
  }, 60_000);

  it('passes the eras, the routing headers and the HTTP methods of a dual, stateless project', () => {
    expect(result(report, 'protocol.eras')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/live: Serves MCP 2026-07-28 and the 2025 era \(2025-11-25\), as protocol "dual"/),
    });
    expect(result(report, 'protocol.header-validation')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/live: 4 requests whose routing headers disagree .* refused with 400 and -32020/),
    });
    expect(result(report, 'protocol.http-methods')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/live: GET 405; DELETE 405, as an endpoint without sessions/),
    });
  });
});

describe('protocol.header-validation', () => {
  it('fails a server that trusts the body over the routing headers, naming each mismatch it served', async () => {
    const server = await started(protocolServer({ trustsBodyOverHeaders: true }));
    const report = await verify({ dir: empty, url: server.url, only: ['protocol'] });
    const header = result(report, 'protocol.header-validation');
    expect(header.status).toBe('fail');
    expect(header.findings).toHaveLength(4);
    expect(messages(header)).toMatch(
      /Mcp-Method prompts\/list on a tools\/list body answered HTTP 200 .*not 400 with -32020/,
    );
    expect(messages(header)).toMatch(/no Mcp-Method header answered HTTP 200/);
    expect(messages(header)).toMatch(/Mcp-Name naming another tool .* answered HTTP 200 with JSON-RPC error/);
    expect(messages(header)).toMatch(/MCP-Protocol-Version 2025-11-25 on a body whose _meta names 2026-07-28/);
    // The control request and every mismatch reached the handler: the refusals were the server's to make.
    expect(server.methods.filter((method) => method === 'tools/list').length).toBeGreaterThanOrEqual(4);
    expect(exitCodeFor(report)).toBe(1);
  }, 30_000);

  it('reports n/a for a server that does not serve MCP 2026-07-28 at all', async () => {
    const legacyOnly = await started(plainServer());
    const report = await verify({ dir: empty, url: legacyOnly.url, only: ['protocol'] });
    expect(result(report, 'protocol.header-validation')).toMatchObject({
      status: 'n/a',
      summary: expect.stringMatching(/does not serve MCP 2026-07-28 .*no routing headers to check/),
    });
  }, 30_000);
});

describe('protocol.eras and protocol.http-methods for a project that promises 2026-07-28 only', () => {
  let modern: Project;
  beforeAll(async () => {
    modern = await project({ manifest: { protocol: 'modern' } });
    await modern.edit('.env.example', (text) => text.replace(/^MCP_PROTOCOL=dual$/m, 'MCP_PROTOCOL=modern'));
    await modern.edit('src/config.ts', (text) =>
      text.replace(/(MCP_PROTOCOL:[^\n]*prefault\(')dual('\))/, '$1modern$2'),
    );
  });

  it('passes a modern-only server: 2025-era initialize refused with -32022, GET and DELETE 405', async () => {
    const server = await started(eraServer('reject'));
    const report = await verify({ dir: modern.dir, url: server.url, only: ['protocol'] });
    expect(result(report, 'protocol.eras')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/as protocol "modern" promises; the 2025-era initialize was refused with -32022/),
    });
    expect(result(report, 'protocol.http-methods').status).toBe('pass');
  }, 30_000);

  it('fails a dual server for it, and a server that answers GET and DELETE as if it kept sessions', async () => {
    const dual = await started(protocolServer({ answersGetAndDelete: true }));
    const report = await verify({ dir: modern.dir, url: dual.url, only: ['protocol'] });
    expect(result(report, 'protocol.eras').status).toBe('fail');
    expect(messages(result(report, 'protocol.eras'))).toMatch(
      /says protocol "modern", but the server still answers a 2025-era initialize/,
    );
    const methods = result(report, 'protocol.http-methods');
    expect(methods.status).toBe('fail');
    expect(messages(methods)).toMatch(/GET on the MCP endpoint answered 200, not 405/);
    expect(messages(methods)).toMatch(/DELETE on the MCP endpoint answered 200, not 405/);
  }, 30_000);

  it('fails statically when the configuration serves another posture than the manifest promises', async () => {
    const drifted = await project({ manifest: { protocol: 'modern' } });
    const report = await verify({ dir: drifted.dir, only: ['protocol'] });
    const eras = result(report, 'protocol.eras');
    expect(eras.status).toBe('fail');
    expect(eras.findings.map((finding) => finding.file)).toEqual(['src/config.ts', '.env.example']);
    expect(messages(eras)).toMatch(
      /\.env\.example sets MCP_PROTOCOL=dual, but mcp-arch\.json promises protocol "modern"/,
    );
  });
});

describe('protocol.http-methods for the sessionful 2025 leg', () => {
  it('fails a stateful project whose server answers GET and DELETE with 405 (no session leg behind it)', async () => {
    const stateful = await project({ pattern: 'load-balanced', sessionMode: 'stateful', store: 'redis' });
    const server = await started(eraServer('stateless'));
    const report = await verify({ dir: stateful.dir, url: server.url, only: ['protocol'] });
    const methods = result(report, 'protocol.http-methods');
    expect(methods.status).toBe('fail');
    expect(messages(methods)).toMatch(/GET without Mcp-Session-Id answered 405, not 400/);
    expect(messages(methods)).toMatch(/DELETE with an unknown Mcp-Session-Id answered 405, not 404/);
  }, 30_000);
});

describe('readiness that proves MCP works (resilience.health-checks)', () => {
  it('fails a server whose /ready answers 200 while tools/list fails; the endpoint check alone passes it', async () => {
    const server = await started(protocolServer({ health: true, toolsList: 'error' }));
    const report = await verify({ dir: empty, url: server.url, only: ['pre-deployment', 'resilience'] });
    // The configured probes reach endpoints that answer as liveness and readiness...
    expect(result(report, 'pre-deployment.health-checks').status).toBe('pass');
    // ...but readiness says 200 while the server cannot list its tools.
    const readiness = result(report, 'resilience.health-checks');
    expect(readiness.status).toBe('fail');
    expect(messages(readiness)).toMatch(
      /GET \/ready answered 200, but tools\/list in MCP 2026-07-28 failed: .*Session store unavailable/,
    );
  }, 30_000);

  it('fails a server whose /ready answers 200 while tools/list lists nothing', async () => {
    const server = await started(protocolServer({ health: true, toolsList: 'empty' }));
    const report = await verify({ dir: empty, url: server.url, only: ['resilience'] });
    expect(messages(result(report, 'resilience.health-checks'))).toMatch(
      /GET \/ready answered 200, but tools\/list in MCP 2026-07-28 listed no tools/,
    );
  }, 30_000);

  it('passes a server that lists its tools when ready, and fails it for a project that promises another tool', async () => {
    const server = await started(protocolServer({ health: true }));
    const anyServer = await verify({ dir: empty, url: server.url, only: ['resilience'] });
    expect(result(anyServer, 'resilience.health-checks')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/GET \/ready answered 200; tools\/list in MCP 2026-07-28 listed 1 tool$/),
    });
    const single = await project();
    const promised = await verify({ dir: single.dir, url: server.url, only: ['resilience'] });
    expect(messages(result(promised, 'resilience.health-checks'))).toMatch(
      /tools\/list in MCP 2026-07-28 does not list slow_count, the tool mcp-arch\.json names \(start\.slowTool\)/,
    );
  }, 30_000);

  it('finds the promised tool under the namespace a gateway gives it (backend__tool)', async () => {
    const server = await started(protocolServer({ health: true, alsoLists: 'example__slow_count' }));
    const single = await project();
    const report = await verify({ dir: single.dir, url: server.url, only: ['resilience'] });
    expect(result(report, 'resilience.health-checks')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/tools\/list in MCP 2026-07-28 listed 2 tools$/),
    });
  }, 30_000);
});

describe('protocol.conformance (the official suite, on Node 24)', () => {
  let path0: string | undefined;
  beforeAll(async () => {
    // The suite needs Node >= 22: put the Node 24 the end-to-end tests use first on PATH, as a user would.
    path0 = process.env.PATH;
    process.env.PATH = `${await nodeBinDir(24)}${path.delimiter}${process.env.PATH}`;
  }, 300_000);
  afterAll(() => {
    process.env.PATH = path0;
  });

  it("fails a server without DNS rebinding protection, naming the suite's scenarios and checks", async () => {
    const server = await started(protocolServer());
    const report = await verify({ dir: empty, url: server.url, only: ['protocol'] });
    const conformance = result(report, 'protocol.conformance');
    expect(conformance.status, conformance.summary).toBe('fail');
    // A bare SDK server passes what the SDK gives it, and fails what needs more than the SDK.
    expect(conformance.summary).toMatch(
      /^@modelcontextprotocol\/conformance 0\.2\.0-alpha\.\d+: \[2026-07-28\] server-stateless .*, http-header-validation passed/,
    );
    expect(conformance.summary).toMatch(/\[2025-11-25\] server-initialize passed, ping passed/);
    expect(conformance.summary).toMatch(
      /other scenarios of the set need the suite's reference server and are not judged/,
    );
    expect(messages(conformance)).toMatch(
      /\[2026-07-28\] dns-rebinding-protection \/ localhost-host-rebinding-rejected failed: Expected HTTP 4xx/,
    );
    expect(messages(conformance)).toMatch(
      /\[2025-11-25\] dns-rebinding-protection \/ localhost-host-rebinding-rejected/,
    );
  }, 120_000);

  it('skips, saying why, when the server needs credentials the suite cannot send', async () => {
    const token = 'protocol-conformance-token';
    const server = await started(hardenedServer({ token }));
    const report = await verify({
      dir: empty,
      url: server.url,
      only: ['protocol'],
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(result(report, 'protocol.conformance')).toMatchObject({
      status: 'skip',
      summary: expect.stringMatching(/answers 401 without credentials, and the conformance suite sends none/),
    });
  }, 60_000);
});
