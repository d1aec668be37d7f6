import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/report.js';
import { plainServer, type RunningServer } from '../verify/live-servers.js';
import { run, tempDir } from './run-bin.js';

const verifyBin = (args: string[]) => run('mcpArch', ['verify', 'checklist', ...args]);
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
    const generated = await run('mcpArch', ['generate', app, '--pattern', 'single', '--yes', '--no-install', '--no-git']);
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
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: { ruleId: string; locations: unknown[] }[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results.map((entry) => entry.ruleId)).toContain('security.origin-validation');
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

  it('refuses --header without --url (exit 2): it would be ignored', async () => {
    const result = await verifyBin(['--dir', app, '--header', 'Authorization: Bearer x']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--header is sent with live probes only/);
  });

  it('refuses --live without --url (exit 2), saying to start the server', async () => {
    const result = await verifyBin(['--dir', app, '--live']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/start the server[\s\S]*--url/);
  });

  it('probes a running server with --url: the plain SDK server fails security (exit 1)', async () => {
    const result = await verifyBin(['--dir', empty, '--url', server.url, '--format', 'json']);
    expect(result.exitCode, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(report.mode).toMatchObject({ static: false, live: true, url: server.url, mcpUrl: `${server.url}/mcp`, reachable: true });
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
