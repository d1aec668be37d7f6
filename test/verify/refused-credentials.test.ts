import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exitCodeFor, formatReport, verify, type VerifyReport } from '../../src/verify/index.js';
import { parseVerifyOptions } from '../../src/verify/options.js';
import { run } from '../cli/run-bin.js';
import { makeProject, type Project } from './fixture.js';
import { sampleReport } from './sample-report.js';

const TOKEN = 'gated-token-0123456789';
const URL_BASE = 'http://127.0.0.1:3999';
const ALLOWED_ORIGIN = 'http://localhost:5173';

interface GatedServer {
  fetch: typeof globalThis.fetch;
  /** Calls that reached the tool. */
  echoCalls: number;
}

/**
 * An MCP server (both eras, the SDK's own handler) answered in-process through the fetch verify
 * is given: credentials are checked first and refused with 403 (not 401); there is an Origin
 * allow-list only with `originCheck`, and the read-only `echo` tool only with `tools`.
 */
function gatedServer({ originCheck, tools }: { originCheck: boolean; tools: boolean }): GatedServer {
  const state = { echoCalls: 0 };
  const handler = createMcpHandler(
    () => {
      const server = new McpServer({ name: 'gated', version: '1.0.0' });
      if (tools) {
        server.registerTool(
          'echo',
          {
            description: 'Echoes its input',
            inputSchema: z.object({ text: z.string() }),
            annotations: { readOnlyHint: true },
          },
          ({ text }) => {
            state.echoCalls++;
            return { content: [{ type: 'text', text }] };
          },
        );
      } else {
        // A server whose only tool writes: nothing verify may call.
        server.registerTool(
          'erase',
          { description: 'Erases everything', inputSchema: z.object({ confirm: z.boolean() }) },
          () => ({ content: [{ type: 'text', text: 'erased' }] }),
        );
      }
      return server;
    },
    { legacy: 'stateless' },
  );
  const forbidden = (message: string) =>
    new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
      status: 403,
      headers: { 'content-type': 'application/json' },
    });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname === '/health') return new Response('{"status":"ok"}', { status: 200 });
    if (url.pathname !== '/mcp') return new Response('not found', { status: 404 });
    const origin = request.headers.get('origin');
    if (originCheck && origin !== null && origin !== ALLOWED_ORIGIN) return forbidden('Origin not allowed');
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return forbidden('Forbidden');
    return handler.fetch(request);
  };
  return {
    fetch,
    get echoCalls() {
      return state.echoCalls;
    },
  };
}

const result = (report: VerifyReport, id: string) => report.results.find((entry) => entry.id === id);
const messages = (report: VerifyReport, id: string) =>
  [result(report, id)?.summary ?? '', ...(result(report, id)?.findings.map((finding) => finding.message) ?? [])].join(
    '\n',
  );

let empty: string;
beforeAll(async () => {
  empty = await mkdtemp(path.join(tmpdir(), 'mcp-arch-gated-'));
});
afterAll(async () => {
  await rm(empty, { recursive: true, force: true });
});

const probe = (server: GatedServer, headers?: Record<string, string>) =>
  verify({ dir: empty, url: URL_BASE, only: ['security'], fetch: server.fetch, ...(headers ? { headers } : {}) });

describe('a server with no Origin check that answers 403 without valid credentials', () => {
  const server = gatedServer({ originCheck: false, tools: true });

  it.each([
    ['without --header', undefined],
    ['with credentials it refuses', { authorization: 'Bearer expired' }],
  ])('does not pass Origin validation %s: the 403 came from authentication', async (_, headers) => {
    const report = await probe(server, headers);
    const origin = result(report, 'security.origin-validation');
    expect(origin?.status, JSON.stringify(origin)).toBe('skip');
    expect(origin?.summary).toMatch(/403/);
    expect(origin?.summary).not.toMatch(/with the --header credentials/);
  });

  it('fails Origin validation once valid credentials let the probe through', async () => {
    const report = await probe(server, { authorization: `Bearer ${TOKEN}` });
    expect(result(report, 'security.origin-validation')?.status).toBe('fail');
    expect(messages(report, 'security.origin-validation')).toMatch(/accepted a foreign origin|ran and returned/);
    expect(server.echoCalls).toBeGreaterThan(0);
  });

  it('skips rate limiting and input validation with the reason, never a verdict on the 403', async () => {
    for (const headers of [undefined, { authorization: 'Bearer expired' }]) {
      const report = await probe(server, headers);
      for (const id of ['security.rate-limiting', 'security.input-validation']) {
        expect(result(report, id)?.status, `${id}: ${messages(report, id)}`).toBe('skip');
        expect(messages(report, id)).toMatch(/403/);
        expect(messages(report, id)).not.toMatch(/not rate-limited|Invalid JSON answered/);
      }
    }
  });

  it('refused credentials are their own outcome: reported, and the run exits 1', async () => {
    const refused = await probe(server, { authorization: 'Bearer expired' });
    expect(refused.mode.credentials).toEqual({ given: true, refused: true, status: 403 });
    expect(exitCodeFor(refused)).toBe(1);
    expect(formatReport(refused, 'pretty', { color: false })).toMatch(/credentials given with --header were refused/i);
    expect(formatReport(refused, 'markdown')).toMatch(/credentials given with --header were refused/i);
    expect(formatReport(refused, 'junit')).toMatch(/<failure[^>]*credentials/i);

    const accepted = await probe(server, { authorization: `Bearer ${TOKEN}` });
    expect(accepted.mode.credentials).toEqual({ given: true, refused: false, status: 200 });
    expect(formatReport(accepted, 'pretty', { color: false })).not.toMatch(/were refused/);

    // No credentials given is not a refusal of credentials: the probes that need them skip.
    const anonymous = await probe(server);
    expect(anonymous.mode.credentials).toEqual({ given: false, refused: true, status: 403 });
    expect(formatReport(anonymous, 'pretty', { color: false })).toMatch(/pass credentials with --header/);
  });
});

describe('probes that never made the tool call they test do not pass', () => {
  it('Origin validation and input validation skip, saying why, when there is no read-only tool', async () => {
    const server = gatedServer({ originCheck: true, tools: false });
    const report = await probe(server, { authorization: `Bearer ${TOKEN}` });
    for (const id of ['security.origin-validation', 'security.input-validation']) {
      expect(result(report, id)?.status, `${id}: ${messages(report, id)}`).toBe('skip');
      expect(messages(report, id)).toMatch(/not tried \(no read-only tool/);
    }
  });

  it('the same checks pass when the tool call was made and refused', async () => {
    const server = gatedServer({ originCheck: true, tools: true });
    const report = await probe(server, { authorization: `Bearer ${TOKEN}` });
    for (const id of ['security.origin-validation', 'security.input-validation']) {
      expect(result(report, id)?.status, `${id}: ${messages(report, id)}`).toBe('pass');
    }
    expect(server.echoCalls).toBe(0);
  });
});

describe('category scores show how many checks ran', () => {
  it('a score from one check of five says so in every human format', () => {
    const report = sampleReport();
    const security = report.summary.categories.find((entry) => entry.category === 'security');
    if (!security) throw new Error('sample report has no security category');
    security.counts = { pass: 1, fail: 0, warn: 0, skip: 4, 'n/a': 0, manual: 0 };
    security.score = 100;
    expect(formatReport(report, 'pretty', { color: false })).toMatch(/Security {2}100% \(1 of 5 checks ran\)/);
    expect(formatReport(report, 'markdown')).toMatch(/\| security \| 100% \(1 of 5 ran\) \|/);
  });
});

describe('--json', () => {
  let project: Project;
  beforeAll(async () => {
    project = await makeProject();
  });
  afterAll(() => project.cleanup());

  const verifyIn = async (args: string[]) => {
    const done = await run('mcpArch', ['verify', ...args], { cwd: project.dir });
    return { code: done.exitCode, stdout: done.stdout, stderr: done.stderr };
  };

  it('is --format json', async () => {
    const json = await verifyIn(['--json', '--only', 'pre-deployment']);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.project.pattern).toBe('single');
    const long = JSON.parse((await verifyIn(['--format', 'json', '--only', 'pre-deployment'])).stdout) as VerifyReport;
    expect(report.results.map((entry) => [entry.id, entry.status])).toEqual(
      long.results.map((entry) => [entry.id, entry.status]),
    );
  });

  it('refuses --json with another --format', async () => {
    const both = await verifyIn(['--json', '--format', 'junit']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--json/);
    expect(() => parseVerifyOptions({ json: true, format: 'sarif' })).toThrow(/--json/);
    expect(parseVerifyOptions({ json: true }).format).toBe('json');
    expect(parseVerifyOptions({ json: true, format: 'json' }).format).toBe('json');
    expect(parseVerifyOptions({}).format).toBe('pretty');
    expect(() => parseVerifyOptions({ format: 'yaml' })).toThrow(/--format yaml/);
  });
});
