import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';
import type { VerifyReport } from '../../src/verify/report.js';
import { run, tempDir } from './run-bin.js';

/**
 * `mcp-arch verify --format html`, `--fail-under` and `--config` through the CLI's own parsing,
 * on a generated project and on a copy with one real mistake.
 */
const verifyCli = (args: string[], cwd?: string) =>
  run('mcpArch', ['verify', 'checklist', ...args], cwd ? { cwd } : {});
const FAILING = 'security.origin-validation';
const resultOf = (report: VerifyReport, id: string) => report.results.find((result) => result.id === id);

describe('mcp-arch verify: html, --fail-under and --config', () => {
  const root = tempDir('verify-gates-');
  const app = join(root, 'app');
  const broken = join(root, 'broken');
  const writeConfig = (name: string, value: unknown) => {
    const file = join(root, name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

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
  }, 120_000);

  it('prints one HTML page on stdout, with the project, its topology and the failing check', async () => {
    const result = await verifyCli(['--dir', broken, '--format', 'html']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('');
    const html = result.stdout;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>mcp-arch verify: app</title>');
    expect(html).toContain('Pattern: <strong>single</strong>');
    // The topology of the generated project, drawn from its Mermaid flowchart (as in its README).
    const readme = readFileSync(join(broken, 'README.md'), 'utf8');
    const mermaid = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1]?.trimEnd() ?? '';
    expect(mermaid).toContain('flowchart LR');
    expect(html).toMatch(/<svg class="flowchart"[\s\S]*Origin \+ Host check, auth, rate limit,/);
    expect(html).toContain(
      `<pre>${mermaid.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</pre>`,
    );
    expect(html).toMatch(new RegExp(`<article class="check status-fail" id="check-${FAILING.replace('.', '\\.')}"`));
    expect(html).toMatch(/\d+ of \d+ ran/);
  });

  it('fails under the score threshold, passes at it, and says so in the report', async () => {
    const good = await verifyCli(['--dir', app, '--fail-under', '100']);
    expect(good.exitCode, good.stdout).toBe(0);
    expect(good.stdout).toMatch(/Overall score 100% \(\d+ of \d+ checks ran\) meets --fail-under 100/);

    // --fail-on critical lets the broken copy's failure pass: only the threshold decides.
    const report = JSON.parse((await verifyCli(['--dir', broken, '--format', 'json'])).stdout) as VerifyReport;
    const { pass, warn, fail } = report.summary.counts;
    const score = Math.round((100 * (pass + warn / 2)) / (pass + warn + fail));
    expect(score).toBeLessThan(100);
    const lenient = writeConfig('lenient.json', { schemaVersion: 1, checks: { [FAILING]: { severity: 'low' } } });
    const gate = ['--dir', broken, '--config', lenient, '--fail-on', 'critical'];
    expect((await verifyCli(gate)).exitCode).toBe(0);
    const at = await verifyCli([...gate, '--fail-under', String(score)]);
    expect(at.exitCode, at.stdout).toBe(0);
    const above = await verifyCli([...gate, '--fail-under', String(score + 1)]);
    expect(above.exitCode).toBe(1);
    expect(above.stdout).toContain(
      `Overall score ${score}% (${pass + warn + fail} of ${report.summary.total - report.summary.counts['n/a']} checks ran) is below --fail-under ${score + 1}: the run fails`,
    );
    const json = await verifyCli([...gate, '--fail-under', String(score + 1), '--format', 'json']);
    expect((JSON.parse(json.stdout) as VerifyReport).failUnder).toMatchObject({
      score,
      met: false,
      threshold: score + 1,
    });
  });

  it.each([['abc'], ['-1'], ['101'], ['']])(
    'refuses --fail-under %j (exit 2) naming the flag and the range',
    async (value) => {
      const result = await verifyCli(['--dir', app, '--fail-under', value]);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`--fail-under ${value} is not a score: use a number from 0 to 100`);
    },
  );

  it('turns a check off with a reason, and never counts it as a pass', async () => {
    const off = writeConfig('off-report.json', {
      schemaVersion: 1,
      checks: { [FAILING]: { off: 'the proxy checks Origin' } },
    });
    const result = await verifyCli(['--dir', broken, '--config', off, '--format', 'json']);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(resultOf(report, FAILING)).toMatchObject({
      status: 'skip',
      summary: `Off in ${off}: the proxy checks Origin`,
      off: { reason: 'the proxy checks Origin', file: off },
    });
    expect(report.config).toEqual({ file: off });
  });

  it('lowers a severity: failOn in the file then lets the run pass, and a flag wins over the file', async () => {
    const lowered = writeConfig('lowered.json', {
      schemaVersion: 1,
      checks: { [FAILING]: { severity: 'low' } },
      failOn: 'medium',
    });
    const passed = await verifyCli(['--dir', broken, '--config', lowered, '--format', 'json']);
    expect(passed.exitCode).toBe(0);
    const report = JSON.parse(passed.stdout) as VerifyReport;
    const item = CHECKLIST.find((entry) => entry.id === FAILING);
    expect(resultOf(report, FAILING)).toMatchObject({
      status: 'fail',
      severity: 'low',
      severityOverride: { from: item?.severity, file: lowered },
    });
    // --fail-on on the command line wins over failOn in the file.
    expect((await verifyCli(['--dir', broken, '--config', lowered, '--fail-on', 'low'])).exitCode).toBe(1);
    // And --fail-under over failUnder.
    const gated = writeConfig('gated.json', { schemaVersion: 1, failUnder: 100 });
    expect((await verifyCli(['--dir', app, '--config', gated])).exitCode).toBe(0);
    const strictFile = await verifyCli([
      '--dir',
      broken,
      '--config',
      gated,
      '--fail-on',
      'critical',
      '--format',
      'json',
    ]);
    expect((JSON.parse(strictFile.stdout) as VerifyReport).failUnder).toMatchObject({ source: gated, met: false });
    const flagWins = await verifyCli([
      '--dir',
      broken,
      '--config',
      gated,
      '--fail-on',
      'critical',
      '--fail-under',
      '0',
      '--format',
      'json',
    ]);
    expect((JSON.parse(flagWins.stdout) as VerifyReport).failUnder).toMatchObject({
      source: '--fail-under',
      met: true,
    });
  });

  it('marks the overridden severity in every format', async () => {
    const lowered = writeConfig('marked.json', { schemaVersion: 1, checks: { [FAILING]: { severity: 'low' } } });
    const out = async (format: string) =>
      (await verifyCli(['--dir', broken, '--config', lowered, '--format', format])).stdout;
    const from = CHECKLIST.find((entry) => entry.id === FAILING)?.severity ?? '';
    expect(await out('pretty')).toContain(`severity low (overridden by ${lowered}; checklist: ${from})`);
    expect(await out('markdown')).toContain(`| low (overridden by \`${lowered}\`; checklist: ${from}) |`);
    expect(await out('html')).toContain(`severity low (overridden by ${lowered}; checklist: ${from})`);
    expect(await out('junit')).toContain(
      `<properties><property name="severity" value="low"/><property name="severity.overridden-from" value="${from}"/><property name="severity.overridden-by" value="${lowered}"/></properties>`,
    );
    const sarif = JSON.parse(await out('sarif')) as {
      runs: {
        invocations: {
          ruleConfigurationOverrides: { descriptor: { id: string }; configuration: { level: string } }[];
        }[];
        results: { ruleId: string; properties?: Record<string, string> }[];
      }[];
    };
    const run0 = sarif.runs[0];
    expect(run0?.invocations[0]?.ruleConfigurationOverrides).toContainEqual(
      expect.objectContaining({
        descriptor: expect.objectContaining({ id: FAILING }),
        configuration: expect.objectContaining({ level: 'warning' }),
      }),
    );
    expect(run0?.results.find((entry) => entry.ruleId === FAILING)?.properties).toMatchObject({
      severity: 'low',
      severityOverriddenFrom: from,
    });
    const json = JSON.parse(await out('json')) as VerifyReport;
    expect(resultOf(json, FAILING)?.severityOverride).toEqual({ from, file: lowered });
  });

  it('reads mcp-arch.verify.json in the project by default', async () => {
    const withDefault = join(root, 'with-default');
    cpSync(broken, withDefault, { recursive: true });
    writeFileSync(
      join(withDefault, 'mcp-arch.verify.json'),
      JSON.stringify({ schemaVersion: 1, checks: { [FAILING]: { off: 'checked at the edge' } } }),
    );
    const result = await verifyCli(['--dir', withDefault, '--format', 'json']);
    expect(result.exitCode).toBe(0);
    expect((JSON.parse(result.stdout) as VerifyReport).config).toEqual({
      file: join(withDefault, 'mcp-arch.verify.json'),
    });
  });

  it.each([
    [
      { schemaVersion: 1, checks: { 'security.tlss': { severity: 'low' } } },
      /"checks\.security\.tlss": "security\.tlss" is not a check id\. Use one of: pre-deployment\.architecture-pattern, /,
    ],
    [
      { schemaVersion: 1, checks: { 'security.tls': { severity: 'urgent' } } },
      /"checks\.security\.tls"\.severity "urgent" is not a severity\. Use one of: low, medium, high, critical/,
    ],
    [
      { schemaVersion: 1, failunder: 80 },
      /unknown key "failunder"; the keys are "schemaVersion", "checks", "failOn", "failUnder"/,
    ],
    [{ schemaVersion: 1, failUnder: 101 }, /"failUnder" 101 is not a score: use a number from 0 to 100/],
    ['{"schemaVersion": 1,', /not valid JSON/],
  ])('refuses a bad config file (exit 2) naming the file, the key and what would work: %j', async (value, message) => {
    const file = writeConfig('bad.json', value);
    const result = await verifyCli(['--dir', app, '--config', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${file}: `);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a --config file that does not exist (exit 2), resolving it against the working directory', async () => {
    const result = await verifyCli(['--dir', app, '--config', 'missing.json'], root);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--config ${join(root, 'missing.json')}: no such file`);
  });
});
