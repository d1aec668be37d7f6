import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';
import { UserError } from '../../src/core/errors.js';
import { checklistItem, type Check } from '../../src/verify/check.js';
import { CHECKS, exitCodeFor, formatReport, verify } from '../../src/verify/index.js';
import type { VerifyReport } from '../../src/verify/report.js';
import { sampleReport } from './sample-report.js';

const MANIFEST = {
  schemaVersion: 1,
  generator: { name: 'create-mcp-arch', version: '0.1.0' },
  name: 'bare',
  pattern: 'single',
  store: 'memory',
  sessionMode: 'stateless',
  authMode: 'apikey',
  deploy: ['docker'],
  components: ['base', 'docker'],
  checks: [],
  start: {
    command: 'npm start',
    portEnv: 'PORT',
    port: 3000,
    healthPath: '/health',
    readyPath: '/ready',
    metricsPath: '/metrics',
    mcpPath: '/mcp',
  },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const writeManifest = (data: unknown) =>
  writeFile(path.join(dir, 'mcp-arch.json'), typeof data === 'string' ? data : JSON.stringify(data));

async function userError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('reading mcp-arch.json', () => {
  it('exits 2 and points at --dir when the manifest is missing', async () => {
    const error = await userError(verify({ dir }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('mcp-arch.json');
    expect(error.message).toContain('--dir');
  });

  it('exits 2 when the directory does not exist', async () => {
    const error = await userError(verify({ dir: path.join(dir, 'nope') }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('--dir');
  });

  it('exits 2 on invalid JSON', async () => {
    await writeManifest('{ "schemaVersion": 1,');
    const error = await userError(verify({ dir }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/mcp-arch\.json is not valid JSON/);
  });

  it.each([
    ['pattern', { ...MANIFEST, pattern: 'mesh' }, /"pattern" must be one of single, multi-server/],
    ['deploy entry', { ...MANIFEST, deploy: ['docker', 'nomad'] }, /"deploy\[1\]" must be one of/],
    [
      'nested field',
      { ...MANIFEST, start: { ...MANIFEST.start, port: 'eighty' } },
      /"start\.port" must be an integer port/,
    ],
    ['missing object', { ...MANIFEST, start: undefined }, /"start" must be an object/],
    ['schema version', { ...MANIFEST, schemaVersion: 2 }, /"schemaVersion" must be 1/],
    ['path', { ...MANIFEST, start: { ...MANIFEST.start, healthPath: 'health' } }, /"start\.healthPath" must be a path/],
  ])('names the field when the %s is wrong', async (_, data, message) => {
    await writeManifest(data);
    const error = await userError(verify({ dir }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
  });
});

describe('verify', () => {
  it('reports every checklist item once, in checklist order, with the report fields', async () => {
    await writeManifest(MANIFEST);
    let now = 1_000;
    const report = await verify({ dir, clock: () => (now += 5) });
    expect(report.schemaVersion).toBe(1);
    expect(report.tool.name).toBe('create-mcp-arch');
    expect(report.project).toEqual({ dir: path.resolve(dir), name: 'bare', pattern: 'single' });
    expect(report.startedAt).toBe(new Date(1_005).toISOString());
    expect(report.durationMs).toBeGreaterThan(0);
    expect(report.results.map((result) => result.id)).toEqual(CHECKLIST.map((item) => item.id));
    expect(report.summary.total).toBe(CHECKLIST.length);
    for (const result of report.results) expect(result.durationMs).toBe(5);
  });

  it('fails an empty project instead of passing on missing evidence', async () => {
    await writeManifest(MANIFEST);
    const report = await verify({ dir });
    const byId = new Map(report.results.map((result) => [result.id, result.status]));
    expect(report.results.filter((result) => result.status === 'pass')).toEqual([]);
    expect(byId.get('security.origin-validation')).toBe('fail');
    expect(byId.get('resilience.backup-recovery')).toBe('manual');
    expect(exitCodeFor(report)).toBe(1);
  });

  it('reports n/a for items that do not apply to the pattern', async () => {
    await writeManifest(MANIFEST);
    const report = await verify({ dir });
    for (const id of [
      'pre-deployment.capacity-scaling',
      'resilience.connection-retry',
      'resilience.circuit-breakers',
    ]) {
      const result = report.results.find((entry) => entry.id === id);
      expect(result?.status, id).toBe('n/a');
      expect(result?.summary).toContain('single');
    }
  });

  it('keeps only the requested categories', async () => {
    await writeManifest(MANIFEST);
    const report = await verify({ dir, only: ['security'] });
    expect(new Set(report.results.map((result) => result.category))).toEqual(new Set(['security']));
    expect(report.summary.categories.map((entry) => entry.category)).toEqual(['security']);
  });

  it('rejects an unknown --only category', async () => {
    await writeManifest(MANIFEST);
    const error = await userError(verify({ dir, only: ['speed' as never] }));
    expect(error.message).toContain('--only speed');
  });

  it('turns a check that throws into skip, never pass', async () => {
    await writeManifest(MANIFEST);
    const broken: Check = {
      item: checklistItem('security.authentication'),
      static: () => Promise.reject(new Error('cannot read src/app.ts: EACCES')),
    };
    const report = await verify({ dir, only: ['security'], checks: [broken] });
    const auth = report.results.find((result) => result.id === 'security.authentication');
    expect(auth).toMatchObject({ status: 'skip', summary: 'Could not run: cannot read src/app.ts: EACCES' });
    expect(report.results.find((result) => result.id === 'security.tls')?.status).toBe('skip');
    expect(exitCodeFor(report)).toBe(3);
  });

  it('needs start.run in the manifest to start the project for live probes', async () => {
    await writeManifest(MANIFEST);
    const error = await userError(verify({ dir, live: true }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/no "start.run"[\s\S]*--url/);
    await expect(verify({ dir, live: true, url: 'ftp://x' })).rejects.toThrow(/http/);
  });

  it('says so when live probes were asked for but no check has one', async () => {
    await writeManifest(MANIFEST);
    const staticOnly = CHECKS.map(({ item, static: part }) => ({ item, ...(part ? { static: part } : {}) }));
    const report = await verify({ dir, url: 'http://127.0.0.1:3000', checks: staticOnly });
    expect(report.mode).toEqual({ static: true, live: false, url: 'http://127.0.0.1:3000' });
    expect(formatReport(report, 'pretty', { color: false })).toContain('no check has a live probe');
  });

  it('merges a live part with the static part, the worse status winning', async () => {
    await writeManifest(MANIFEST);
    let probed: string | undefined;
    const check: Check = {
      item: checklistItem('security.authentication'),
      static: () => Promise.resolve({ status: 'pass', summary: 'static ok', findings: [] }),
      live: (ctx) => {
        probed = `${ctx.url} ${ctx.headers.authorization ?? ''}`;
        return Promise.resolve({
          status: 'fail',
          summary: '200 without credentials',
          findings: [
            { message: 'POST /mcp answered 200 without credentials', remediation: 'Use the auth middleware on /mcp.' },
          ],
        });
      },
    };
    const fetch: typeof globalThis.fetch = () => Promise.resolve(new Response('ok'));
    const report = await verify({
      dir,
      only: ['security'],
      checks: [check],
      live: true,
      url: 'http://127.0.0.1:3000/',
      headers: { authorization: 'Bearer t' },
      fetch,
    });
    expect(probed).toBe('http://127.0.0.1:3000 Bearer t');
    expect(report.mode).toEqual({
      static: true,
      live: true,
      url: 'http://127.0.0.1:3000',
      mcpUrl: 'http://127.0.0.1:3000/mcp',
      reachable: true,
      // The stub answers every request 200: the credentials were not refused.
      credentials: { given: true, refused: false, status: 200 },
    });
    expect(report.results.find((result) => result.id === 'security.authentication')).toMatchObject({
      status: 'fail',
      summary: 'static ok; live: 200 without credentials',
    });
  });
});

describe('exitCodeFor', () => {
  const withStatuses = (...statuses: VerifyReport['results'][number]['status'][]): VerifyReport => {
    const report = sampleReport();
    report.results = report.results
      .slice(0, statuses.length)
      .map((result, index) => ({ ...result, status: statuses[index] as never }));
    return report;
  };

  it('is 1 when a check failed', () => {
    expect(exitCodeFor(withStatuses('pass', 'fail', 'warn'))).toBe(1);
  });

  it('is 0 when checks ran and none failed', () => {
    expect(exitCodeFor(withStatuses('pass', 'warn', 'n/a', 'manual'))).toBe(0);
  });

  it('is 3 when nothing produced a verdict', () => {
    expect(exitCodeFor(withStatuses('skip', 'n/a', 'manual'))).toBe(3);
    expect(exitCodeFor(withStatuses())).toBe(3);
  });

  it('ignores failures below the failOn severity', () => {
    const report = withStatuses('pass', 'fail');
    // The second sample result is a medium-severity item.
    expect(report.results[1]?.severity).toBe('medium');
    expect(exitCodeFor(report, { failOn: 'high' })).toBe(0);
    expect(exitCodeFor(report, { failOn: 'medium' })).toBe(1);
  });
});
