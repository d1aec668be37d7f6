import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';
import { exitCodeFor, formatReport, verify, type VerifyReport } from '../../src/verify/index.js';
import { liveTarget } from '../../src/verify/runtime/context.js';
import { hasStackTrace, jsonRpcMessages } from '../../src/verify/runtime/http.js';
import { parseCounters } from '../../src/verify/checks/observability-metrics.js';
import {
  carelessServer,
  eraServer,
  hardenedServer,
  plainServer,
  selfSignedServer,
  type RunningServer,
} from './live-servers.js';
import { makeProject, type Project } from './fixture.js';

const status = (report: VerifyReport, id: string) => report.results.find((result) => result.id === id)?.status;
const result = (report: VerifyReport, id: string) => report.results.find((entry) => entry.id === id);

let empty: string;
beforeAll(async () => {
  empty = await mkdtemp(path.join(tmpdir(), 'mcp-arch-live-'));
});
afterAll(async () => {
  await rm(empty, { recursive: true, force: true });
});

describe('verify --url against a plain SDK server (no hardening)', () => {
  let server: RunningServer;
  let report: VerifyReport;
  beforeAll(async () => {
    server = await plainServer();
    report = await verify({ dir: empty, url: server.url });
  }, 60_000);
  afterAll(() => server.close());

  it('fails Origin validation: the foreign origin was accepted and the tool ran', () => {
    const origin = result(report, 'security.origin-validation');
    expect(origin?.status).toBe('fail');
    expect(origin?.findings.map((finding) => finding.message).join('\n')).toMatch(/accepted a foreign origin/);
    expect(origin?.findings.map((finding) => finding.message).join('\n')).toMatch(/tools\/call echo .* ran/);
    expect(server.echoCalls).toBeGreaterThan(0);
  });

  it('fails authentication and rate limiting', () => {
    expect(result(report, 'security.authentication')?.summary).toMatch(/needs no authentication/);
    expect(status(report, 'security.authentication')).toBe('fail');
    expect(status(report, 'security.rate-limiting')).toBe('fail');
    expect(result(report, 'security.rate-limiting')?.summary).toMatch(/No 429 after 200 requests/);
  });

  it('fails the items whose endpoints are missing, and never passes what it cannot see', () => {
    expect(status(report, 'resilience.health-checks')).toBe('fail');
    expect(status(report, 'observability.metrics')).toBe('fail');
    expect(status(report, 'security.tls')).toBe('n/a');
    expect(status(report, 'observability.tracing')).toBe('skip');
    // Spans, logs and SIGTERM need the process itself, which --url does not give: skip, never pass.
    expect(result(report, 'observability.tracing')?.summary).toMatch(
      /Receiving spans needs the process itself: run mcp-arch verify --live without --url/,
    );
    // The SDK transport itself answers invalid JSON with 400/-32700 and refuses bodies over 4 MiB;
    // without a project, serving one era is all the protocol items can ask of it.
    expect(report.results.filter((entry) => entry.status === 'pass').map((entry) => entry.id)).toEqual([
      'protocol.eras',
      'security.input-validation',
    ]);
  });

  it('records the live mode, the endpoint and the unknown pattern; exits 1', () => {
    expect(report.mode).toEqual({
      static: false,
      live: true,
      url: server.url,
      mcpUrl: `${server.url}/mcp`,
      reachable: true,
      eras: [
        { era: 'modern', version: '2026-07-28', served: false, reason: expect.any(String) },
        { era: 'legacy', version: '2025-11-25', served: true },
      ],
      credentials: { given: false, refused: false, status: 200 },
    });
    expect(result(report, 'protocol.eras')?.summary).toMatch(
      /^Serves the 2025 era \(2025-11-25\) \(\[2026-07-28\] .+; \[2025-11-25\] served\)$/,
    );
    expect(report.project.pattern).toBeNull();
    expect(report.results).toHaveLength(CHECKLIST.length);
    expect(exitCodeFor(report)).toBe(1);
    for (const format of ['pretty', 'json', 'junit', 'markdown', 'sarif'] as const) {
      expect(formatReport(report, format).length).toBeGreaterThan(100);
    }
    expect(formatReport(report, 'pretty')).toContain(`Live probes against ${server.url}/mcp`);
    expect(formatReport(report, 'pretty')).toMatch(/Protocol eras: 2026-07-28 not served \(.+\), 2025-11-25 served/);
    expect(formatReport(report, 'markdown')).toMatch(/Protocol eras: 2026-07-28 not served/);
    expect(JSON.parse(formatReport(report, 'sarif')).runs[0].invocations[0].properties.protocolEras).toHaveLength(2);
    expect(formatReport(report, 'junit')).toMatch(/<!-- protocol eras: 2026-07-28 not served/);
  });
});

describe('verify --url: the protocol eras a server serves, against what its project promises', () => {
  let dual: RunningServer;
  let modernOnly: RunningServer;
  let project: Project;
  const run = (server: RunningServer) => verify({ dir: project.dir, url: server.url });
  beforeAll(async () => {
    [dual, modernOnly] = await Promise.all([eraServer('stateless'), eraServer('reject')]);
    project = await makeProject();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([dual?.close(), modernOnly?.close(), project?.cleanup()]);
  });

  it('passes a server that serves both eras, and probes tools in each era with its own client', async () => {
    const report = await run(dual);
    expect(report.mode.eras?.map((era) => [era.version, era.served])).toEqual([
      ['2026-07-28', true],
      ['2025-11-25', true],
    ]);
    const eras = result(report, 'protocol.eras');
    expect(eras?.summary).toMatch(
      /live: Serves MCP 2026-07-28 and the 2025 era \(2025-11-25\), as protocol "dual" promises/,
    );
    const input = result(report, 'security.input-validation');
    expect(input?.summary).toMatch(
      /\[2026-07-28\] invalid arguments to echo rejected; \[2025-11-25\] invalid arguments to echo rejected/,
    );
    // The foreign-origin call ran in each era (this fixture has no Origin check): both eras named.
    const origin = result(report, 'security.origin-validation')
      ?.findings.map((finding) => finding.message)
      .join('\n');
    expect(origin).toMatch(/\[2026-07-28\] tools\/call echo with Origin .* ran/);
    expect(origin).toMatch(/\[2025-11-25\] tools\/call echo with Origin .* ran/);
  });

  it('fails a project promising both eras whose server serves 2026-07-28 only', async () => {
    const report = await run(modernOnly);
    expect(report.mode.eras?.map((era) => [era.version, era.served])).toEqual([
      ['2026-07-28', true],
      ['2025-11-25', false],
    ]);
    const eras = result(report, 'protocol.eras');
    expect(eras?.status).toBe('fail');
    expect(eras?.findings.map((finding) => finding.message).join('\n')).toMatch(
      /mcp-arch.json says protocol "dual", but the server does not serve the 2025 era \(2025-11-25\): .*-32022/,
    );
    expect(exitCodeFor(report)).toBe(1);
  });

  it('passes the same server for a project that promises 2026-07-28 only, and fails a dual server for it', async () => {
    const modernProject = await makeProject({ manifest: { protocol: 'modern' } });
    try {
      await modernProject.edit('.env.example', (text) => text.replace(/^MCP_PROTOCOL=dual$/m, 'MCP_PROTOCOL=modern'));
      await modernProject.edit('src/config.ts', (text) =>
        text.replace(/(MCP_PROTOCOL:[^\n]*prefault\(')dual('\))/, '$1modern$2'),
      );
      const served = await verify({ dir: modernProject.dir, url: modernOnly.url, only: ['protocol'] });
      expect(status(served, 'protocol.eras')).toBe('pass');
      const both = await verify({ dir: modernProject.dir, url: dual.url, only: ['protocol'] });
      expect(status(both, 'protocol.eras')).toBe('fail');
      expect(result(both, 'protocol.eras')?.findings[0]?.message).toMatch(
        /says protocol "modern", but the server still answers a 2025-era initialize/,
      );
    } finally {
      await modernProject.cleanup();
    }
  });
});

describe('verify --url against a hardened server', () => {
  const token = 'verify-live-token-0123456789';
  let server: RunningServer;
  let report: VerifyReport;
  beforeAll(async () => {
    server = await hardenedServer({ token });
    report = await verify({ dir: empty, url: server.url, headers: { Authorization: `Bearer ${token}` } });
  }, 60_000);
  afterAll(() => server.close());

  it.each([
    'security.origin-validation',
    'security.authentication',
    'security.rate-limiting',
    'security.input-validation',
    'resilience.health-checks',
    'pre-deployment.health-checks',
    'observability.metrics',
  ])('%s passes', (id) => {
    expect(result(report, id), JSON.stringify(result(report, id))).toMatchObject({ status: 'pass' });
  });

  it('proved the foreign-origin tools/call did not run and the invalid arguments were refused', () => {
    expect(result(report, 'security.origin-validation')?.summary).toMatch(
      /tools\/call echo refused with 403 and did not run/,
    );
    expect(result(report, 'security.input-validation')?.summary).toMatch(/invalid arguments to echo rejected/);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('without credentials, authentication still passes and the probes that need them say so', async () => {
    const anonymous = await verify({ dir: empty, url: server.url, only: ['security'] });
    expect(status(anonymous, 'security.authentication')).toBe('pass');
    expect(result(anonymous, 'security.rate-limiting')).toMatchObject({
      status: 'skip',
      summary: expect.stringMatching(/--header/),
    });
    expect(status(anonymous, 'security.input-validation')).toBe('skip');
  }, 30_000);

  it('fails rate limiting when the limit is keyed on something a client can rotate', async () => {
    // A limiter that trusts X-Forwarded-For: the same server, keyed on the spoofable header.
    const leaky = await hardenedServer({ token, burst: 5, ratePerSecond: 1 });
    try {
      const spoofing = await verify({
        dir: empty,
        url: leaky.url,
        only: ['security'],
        headers: { Authorization: `Bearer ${token}` },
        fetch: (input, init) => {
          // Routes a spoofed request to a fresh server whose bucket is full, as a bypass would.
          const headers = new Headers(init?.headers);
          return headers.has('x-forwarded-for')
            ? globalThis.fetch(String(input).replace(leaky.url, server.url), init)
            : globalThis.fetch(input, init);
        },
      });
      expect(
        result(spoofing, 'security.rate-limiting')
          ?.findings.map((finding) => finding.message)
          .join('\n'),
      ).toMatch(/Rotating X-Forwarded-For reset the limit/);
    } finally {
      await leaky.close();
    }
  }, 30_000);
});

describe('verify --url against a careless server', () => {
  let server: RunningServer;
  let report: VerifyReport;
  beforeAll(async () => {
    server = await carelessServer();
    report = await verify({ dir: empty, url: server.url, only: ['security', 'resilience', 'observability'] });
  }, 60_000);
  afterAll(() => server.close());

  it('fails input validation on the 500 with a stack trace, the missing 413 and the tool that ran', () => {
    const messages = result(report, 'security.input-validation')
      ?.findings.map((finding) => finding.message)
      .join('\n');
    expect(status(report, 'security.input-validation')).toBe('fail');
    expect(messages).toMatch(/Invalid JSON answered 500, not 400/);
    expect(messages).toMatch(/Invalid JSON returned a stack trace/);
    expect(messages).toMatch(/KiB body answered 200, not 413/);
    expect(messages).toMatch(/tools\/call echo accepted invalid arguments/);
  });

  it('does not take a catch-all 200 for health checks, nor plain text for metrics', () => {
    expect(result(report, 'resilience.health-checks')?.summary).toMatch(/made-up path .* also answered 200/);
    expect(result(report, 'observability.metrics')?.summary).toMatch(/not a Prometheus text exposition/);
  });
});

describe('verify --url with a generated project', () => {
  let project: Project;
  let server: RunningServer;
  beforeAll(async () => {
    project = await makeProject({ pattern: 'single' });
    server = await plainServer();
  });
  afterAll(async () => {
    await server.close();
    await project.cleanup();
  });

  it('merges the live failures into the static results', async () => {
    const report = await verify({ dir: project.dir, url: server.url, only: ['security'] });
    expect(report.mode.static).toBe(true);
    expect(report.project.pattern).toBe('single');
    const origin = result(report, 'security.origin-validation');
    expect(origin?.status).toBe('fail');
    expect(origin?.summary).toMatch(/; live: /);
  }, 30_000);

  it('keeps source-text findings as warnings where the live probe proves the property, and as verdicts where it does not', async () => {
    // The owner moves the Origin check to a file whose name verify does not look for.
    const refactored = await makeProject({ pattern: 'single' });
    const token = 'verify-refactor-token-0123456789';
    const hardened = await hardenedServer({ token });
    try {
      await refactored.write('src/middleware/allow-list.ts', await refactored.read('src/middleware/origin.ts'));
      await refactored.remove('src/middleware/origin.ts');
      await refactored.edit('src/app.ts', (text) =>
        text.replace("'./middleware/origin.js'", "'./middleware/allow-list.js'"),
      );
      const headers = { Authorization: `Bearer ${token}` };
      // Files only: the reading is all there is, so it decides.
      const readOnly = await verify({ dir: refactored.dir, only: ['security'] });
      expect(result(readOnly, 'security.origin-validation')).toMatchObject({
        status: 'fail',
        summary: expect.stringMatching(/No Origin validation middleware in src\/middleware\//),
      });
      // A server that refuses the foreign origin: the probe outranks the reading, which stays a warning.
      const proven = await verify({ dir: refactored.dir, url: hardened.url, headers, only: ['security'] });
      const origin = result(proven, 'security.origin-validation');
      expect(origin?.status, origin?.summary).toBe('warn');
      expect(origin?.summary).toMatch(
        /^live: A foreign Origin .* gets 403 .*Warning: the source text does not read as expected/,
      );
      expect(origin?.findings.find((finding) => /No Origin validation middleware/.test(finding.message))).toMatchObject(
        {
          level: 'warning',
          from: 'source-text',
        },
      );
      // A server that accepts it: the probe's failure stands.
      const accepted = await verify({ dir: refactored.dir, url: server.url, only: ['security'] });
      expect(result(accepted, 'security.origin-validation')?.status).toBe('fail');
      // A finding that is configuration, not source text, is never outranked: ALLOWED_ORIGINS=* fails.
      await refactored.edit('.env.example', (text) => text.replace(/^ALLOWED_ORIGINS=.*$/m, 'ALLOWED_ORIGINS=*'));
      const wildcard = await verify({ dir: refactored.dir, url: hardened.url, headers, only: ['security'] });
      expect(result(wildcard, 'security.origin-validation')?.status).toBe('fail');
    } finally {
      await hardened.close();
      await refactored.cleanup();
    }
  }, 60_000);
});

describe('verify --url against nothing', () => {
  it('skips every live part with "could not connect" and exits 3', async () => {
    const port = await freePort();
    const report = await verify({ dir: empty, url: `http://127.0.0.1:${port}` });
    expect(report.mode.reachable).toBe(false);
    expect(report.results.every((entry) => entry.status === 'skip')).toBe(true);
    expect(result(report, 'security.authentication')?.summary).toMatch(
      /^Could not connect to http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
    expect(exitCodeFor(report)).toBe(3);
  });

  it('exits 3 with a project too: the live parts were the point', async () => {
    const project = await makeProject({ pattern: 'single' });
    try {
      const report = await verify({
        dir: project.dir,
        url: `http://127.0.0.1:${await freePort()}`,
        only: ['resilience'],
      });
      expect(result(report, 'resilience.health-checks')?.status).toBe('skip');
      expect(exitCodeFor(report)).toBe(3);
    } finally {
      await project.cleanup();
    }
  });
});

describe('TLS', () => {
  it('fails an https URL whose certificate is not trusted, never passing it', async () => {
    const server = await selfSignedServer();
    try {
      const report = await verify({ dir: empty, url: server.url, only: ['security'] });
      expect(result(report, 'security.tls')).toMatchObject({
        status: 'fail',
        summary: expect.stringMatching(/TLS handshake with 127\.0\.0\.1:\d+ failed: .*(SELF_SIGNED|CERT)/),
      });
      // The rest could not be reached over TLS: skipped, not judged.
      expect(status(report, 'security.authentication')).toBe('skip');
    } finally {
      await server.close();
    }
  });

  it('fails plain HTTP on a host other than loopback', async () => {
    const server = await plainServer();
    try {
      const report = await verify({
        dir: empty,
        url: 'http://mcp.example.test:8080',
        only: ['security'],
        // Resolves the public name to the local server, as DNS would in a real deployment.
        fetch: (input, init) =>
          globalThis.fetch(
            String(input instanceof Request ? input.url : input).replace('http://mcp.example.test:8080', server.url),
            init,
          ),
      });
      expect(result(report, 'security.tls')).toMatchObject({
        status: 'fail',
        summary: expect.stringMatching(/plain HTTP/),
      });
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('live helpers', () => {
  it('takes the MCP endpoint from the URL path when there is one', () => {
    expect(liveTarget(new URL('http://127.0.0.1:3000')).mcpUrl).toBe('http://127.0.0.1:3000/mcp');
    expect(liveTarget(new URL('http://127.0.0.1:3000/')).mcpUrl).toBe('http://127.0.0.1:3000/mcp');
    expect(liveTarget(new URL('http://127.0.0.1:3000/api/mcp/')).mcpUrl).toBe('http://127.0.0.1:3000/api/mcp');
    expect(liveTarget(new URL('http://127.0.0.1:3000/api/mcp')).endpoints.health).toBe('http://127.0.0.1:3000/health');
  });

  it('parses Prometheus counters and refuses what is not an exposition', () => {
    const counters = parseCounters(
      '# TYPE req_total counter\nreq_total{a="1"} 2\nreq_total{a="2"} 3\n# TYPE up gauge\nup 1\n',
    );
    expect(counters?.get('req_total')).toBe(5);
    expect(counters?.has('up')).toBe(false);
    expect(parseCounters('<html>not metrics</html>')).toBeUndefined();
    // Braces and escaped quotes inside label values, and a line cut short, do not hide the rest.
    const odd = parseCounters(
      '# TYPE http_requests_total counter\nhttp_requests_total{path="/a}b",msg="say \\"hi\\""} 7\nhttp_requests_total{path="/c"} 1\nhttp_req',
    );
    expect(odd?.get('http_requests_total')).toBe(8);
  });

  it('reads JSON-RPC replies from JSON and event streams, and spots stack traces', () => {
    expect(jsonRpcMessages('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n')).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
    ]);
    expect(hasStackTrace('Error: boom\n    at handler (/srv/app.js:10:5)')).toBe(true);
    expect(hasStackTrace('{"error":"Error: boom\\n    at Object.<anonymous> (file:///srv/app.js:3:9)"}')).toBe(true);
    expect(hasStackTrace('{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid arguments"}}')).toBe(false);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
