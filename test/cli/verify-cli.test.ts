import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/report.js';
import { plainServer, type RunningServer } from '../verify/live-servers.js';
import { run, tempDir } from './run-bin.js';

const verifyBin = (args: string[], env: Record<string, string> = {}) =>
  run('mcpArch', ['verify', 'checklist', ...args], { env });
const statusOf = (report: VerifyReport, id: string) => report.results.find((result) => result.id === id)?.status;

/** Tags open and close in order; enough to catch a reporter that emits broken XML. */
function assertWellFormedXml(text: string): void {
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  const stack: string[] = [];
  for (const match of text.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match as unknown as [string, string, string, string, string];
    if (selfClosing) continue;
    if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
  expect(text.replace(/&(?:amp|lt|gt|quot|apos);/g, '')).not.toMatch(/&/);
}

describe('mcp-arch verify (built bin)', () => {
  const root = tempDir('verify-cli-');
  const app = join(root, 'app');
  const broken = join(root, 'broken');
  const empty = join(root, 'empty');
  let server: RunningServer;

  beforeAll(async () => {
    const generated = await run('mcpArch', [
      'generate',
      app,
      '--pattern',
      'single',
      '--yes',
      '--no-install',
      '--no-git',
    ]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    cpSync(app, broken, { recursive: true });
    // One real mistake: Origin validation no longer wired into the app.
    const appFile = join(broken, 'src', 'app.ts');
    const text = readFileSync(appFile, 'utf8');
    const without = text.replace(/^\s*app\.use\('\/mcp', originGuard\([^\n]*\n/m, '');
    expect(without).not.toBe(text);
    writeFileSync(appFile, without);
    mkdirSync(empty);
    server = await plainServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('passes the generated project statically (exit 0)', async () => {
    const result = await verifyBin(['--dir', app]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('mcp-arch verify: app');
    expect(result.stdout).toMatch(/\d+ passed/);
    expect(result.stdout).not.toMatch(/failed/);
  });

  it('fails a broken copy (exit 1) and names the item', async () => {
    const result = await verifyBin(['--dir', broken, '--format', 'json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(statusOf(report, 'security.origin-validation')).toBe('fail');
    expect(report.mode).toEqual({ static: true, live: false });
  });

  it('is a usage error (exit 2) without mcp-arch.json and without --url', async () => {
    const result = await verifyBin(['--dir', empty]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/No mcp-arch\.json/);
    expect(result.stdout).toBe('');
  });

  it('prints every format parseably', async () => {
    const json = await verifyBin(['--dir', broken, '--format', 'json']);
    expect((JSON.parse(json.stdout) as VerifyReport).schemaVersion).toBe(1);

    const junit = await verifyBin(['--dir', broken, '--format', 'junit']);
    expect(junit.exitCode).toBe(1);
    assertWellFormedXml(junit.stdout);
    expect(junit.stdout).toMatch(/<testsuites [^>]*failures="[1-9]/);

    const markdown = await verifyBin(['--dir', broken, '--format', 'markdown']);
    expect(markdown.stdout).toMatch(/^## mcp-arch verify: app \(single\)/);
    expect(markdown.stdout).toMatch(/\| ❌ fail \| `security\.origin-validation`/);

    const sarif = await verifyBin(['--dir', broken, '--format', 'sarif']);
    const log = JSON.parse(sarif.stdout) as {
      version: string;
      runs: { results: { ruleId: string; locations: unknown[] }[] }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results.map((entry) => entry.ruleId)).toContain('security.origin-validation');
  });

  it('writes the report in several formats from one run with --report, and refuses a report it could not write', async () => {
    const out = join(root, 'reports');
    mkdirSync(out);
    const result = await verifyBin([
      '--dir',
      broken,
      '--format',
      'json',
      '--report',
      `sarif=${join(out, 'verify.sarif')}`,
      '--report',
      `markdown=${join(out, 'verify.md')}`,
      '--report',
      `html=${join(out, 'verify.html')}`,
    ]);
    expect(result.exitCode).toBe(1);
    const printed = JSON.parse(result.stdout) as VerifyReport;
    const sarif = JSON.parse(readFileSync(join(out, 'verify.sarif'), 'utf8')) as {
      runs: { results: { ruleId: string }[] }[];
    };
    expect(sarif.runs[0]?.results.map((entry) => entry.ruleId)).toContain('security.origin-validation');
    expect(readFileSync(join(out, 'verify.md'), 'utf8')).toMatch(/\| ❌ fail \| `security\.origin-validation`/);
    // The HTML report carries the topology, as with --format html.
    expect(readFileSync(join(out, 'verify.html'), 'utf8')).toMatch(/flowchart/);
    expect(statusOf(printed, 'security.origin-validation')).toBe('fail');

    for (const [flag, message] of [
      ['sarif', /needs <format>=<file>/],
      ['pdf=verify.pdf', /"pdf" is not a report format/],
      ['sarif=', /names no file/],
      [`sarif=${join(root, 'missing', 'verify.sarif')}`, /the folder .*missing does not exist/],
      [`sarif=${out}`, /is a folder/],
    ] as const) {
      const refused = await verifyBin(['--dir', broken, '--report', flag]);
      expect(refused.exitCode, flag).toBe(2);
      expect(refused.stderr, flag).toMatch(message);
    }
    const twice = await verifyBin(['--dir', broken, '--report', 'sarif=a.sarif', '--report', 'json=a.sarif']);
    expect(twice.stderr).toMatch(/names a\.sarif twice/);
  });

  it('limits the report with --only', async () => {
    const result = await verifyBin(['--dir', app, '--only', 'security', '--format', 'json']);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(new Set(report.results.map((entry) => entry.category))).toEqual(new Set(['security']));
    expect(report.results).toHaveLength(5);
  });

  it('refuses a malformed --header (exit 2)', async () => {
    for (const header of ['no-colon-here', 'Bad Name: x']) {
      const result = await verifyBin(['--dir', app, '--url', server.url, '--header', header]);
      expect(result.exitCode, header).toBe(2);
      expect(result.stderr).toMatch(/--header/);
    }
  });

  it('accepts a failure named in the baseline file (exit 0) and reports it as accepted', async () => {
    const baseline = join(root, 'accepted.json');
    writeFileSync(
      baseline,
      JSON.stringify({
        schemaVersion: 1,
        accepted: [{ check: 'security.origin-validation', reason: 'origin checked by the edge proxy' }],
      }),
    );
    const result = await verifyBin(['--dir', broken, '--baseline', baseline]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /Origin validation configured \[security\.origin-validation\] accepted \(baseline\): origin checked by the edge proxy/,
    );
    expect(result.stdout).toMatch(/1 accepted by /);
    const json = JSON.parse(
      (await verifyBin(['--dir', broken, '--baseline', baseline, '--format', 'json'])).stdout,
    ) as VerifyReport;
    expect(json.results.find((entry) => entry.id === 'security.origin-validation')).toMatchObject({
      status: 'fail',
      accepted: { reason: 'origin checked by the edge proxy' },
    });
    expect(json.baseline).toEqual({ file: baseline, accepted: 1, stale: [] });
  });

  it('fails on a stale baseline entry (exit 1): its check now passes, or is not a check; reads mcp-arch.baseline.json by default', async () => {
    const stale = join(root, 'stale-app');
    cpSync(app, stale, { recursive: true });
    writeFileSync(
      join(stale, 'mcp-arch.baseline.json'),
      JSON.stringify({
        schemaVersion: 1,
        accepted: [
          { check: 'security.origin-validation', reason: 'was broken once' },
          { check: 'security.firewall', reason: 'typo' },
        ],
      }),
    );
    const result = await verifyBin(['--dir', stale]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /Stale baseline entry: security\.origin-validation now reports pass, not fail\. Remove it from .*mcp-arch\.baseline\.json/,
    );
    expect(result.stdout).toMatch(/Stale baseline entry: security\.firewall is not a check of this checklist/);
  });

  it('refuses a malformed or missing baseline (exit 2), naming the entry', async () => {
    const bad = join(root, 'bad-baseline.json');
    writeFileSync(bad, JSON.stringify({ schemaVersion: 1, accepted: [{ check: 'security.tls' }] }));
    const malformed = await verifyBin(['--dir', app, '--baseline', bad]);
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toMatch(/"accepted\[0\]\.reason" must say why security\.tls is accepted/);
    const missing = await verifyBin(['--dir', app, '--baseline', join(root, 'nope.json')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file/);
  });

  it('refuses --header without --url (exit 2): it would be ignored', async () => {
    const result = await verifyBin(['--dir', app, '--header', 'Authorization: Bearer x']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--header is sent with live probes only/);
  });

  it('--live without --url starts the project, and says what is missing when it cannot (exit 2)', async () => {
    // Without Node >= 22.13 on PATH, or without node_modules, the project cannot run: either is named with its fix.
    const result = await verifyBin(['--dir', app, '--live'], { PATH: dirname(process.execPath) });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /--live (runs the project with `node` from PATH, which is v\d+[\s\S]*needs Node >= 22\.13|could not build the project[\s\S]*npm install)/,
    );
  });

  it('probes a running server with --url: the plain SDK server fails security (exit 1)', async () => {
    const result = await verifyBin(['--dir', empty, '--url', server.url, '--format', 'json']);
    expect(result.exitCode, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(report.mode).toMatchObject({
      static: false,
      live: true,
      url: server.url,
      mcpUrl: `${server.url}/mcp`,
      reachable: true,
    });
    for (const id of ['security.origin-validation', 'security.authentication', 'security.rate-limiting']) {
      expect(statusOf(report, id), id).toBe('fail');
    }
  }, 60_000);

  it('exits 3 when the URL is unreachable and there is no project', async () => {
    const port = await freePort();
    const result = await verifyBin(['--dir', empty, '--url', `http://127.0.0.1:${port}`, '--format', 'json']);
    expect(result.exitCode).toBe(3);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(report.results.every((entry) => entry.status === 'skip')).toBe(true);
    expect(report.results.find((entry) => entry.id === 'security.tls')?.summary).toMatch(/Could not connect/);
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
