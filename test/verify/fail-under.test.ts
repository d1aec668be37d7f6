import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { parseVerifyOptions, type VerifyRequest } from '../../src/verify/options.js';
import {
  applyFailUnder,
  failUnderLine,
  overallScore,
  summarise,
  type CheckResult,
  type VerifyReport,
} from '../../src/verify/report.js';
import { exitCodeFor, formatReport } from '../../src/verify/index.js';
import { sampleReport } from './sample-report.js';

function refusal(request: VerifyRequest): UserError {
  try {
    parseVerifyOptions(request);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(request)}`);
}

describe('--fail-under, --fail-on and --config as options', () => {
  it('takes a score from 0 to 100, as typed or as a number', () => {
    expect(parseVerifyOptions({ failUnder: '80' }).failUnder).toBe(80);
    expect(parseVerifyOptions({ failUnder: '87.5' }).failUnder).toBe(87.5);
    expect(parseVerifyOptions({ failUnder: 0 }).failUnder).toBe(0);
    expect(parseVerifyOptions({ failUnder: '100' }).failUnder).toBe(100);
    expect(parseVerifyOptions({}).failUnder).toBeUndefined();
  });

  it.each(['abc', '-1', '101', '', '1e2', '80%', 'NaN'])(
    'refuses --fail-under %j naming the flag and the range',
    (value) => {
      const error = refusal({ failUnder: value });
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(
        `--fail-under ${value} is not a score: use a number from 0 to 100 (the overall score in percent), e.g. --fail-under 80.`,
      );
    },
  );

  it('takes a severity for --fail-on and names the severities otherwise', () => {
    expect(parseVerifyOptions({ failOn: 'high' }).failOn).toBe('high');
    expect(refusal({ failOn: 'urgent' }).message).toBe(
      '--fail-on "urgent" is not a severity. Use one of: low, medium, high, critical.',
    );
  });

  it('resolves --config against cwd, and stays the same when parsed again', () => {
    const target = parseVerifyOptions({ config: 'ci/verify.json', cwd: '/work/x', failUnder: '75', failOn: 'medium' });
    expect(target.config).toBe('/work/x/ci/verify.json');
    expect(parseVerifyOptions(target)).toEqual(target);
    expect(refusal({ config: ' ' }).message).toContain('--config needs a file');
  });
});

/** The sample report with only the results `keep` accepts, summarised again. */
function sampleWith(keep: (result: CheckResult) => boolean): VerifyReport {
  const results = sampleReport().results.filter(keep);
  return { ...sampleReport(), results, summary: summarise(results) };
}

describe('the overall score and the threshold', () => {
  it('scores the whole run as the categories are scored, with its coverage', () => {
    // Sample: 1 pass, 1 warn, 1 fail scored; 7 results of which 2 are n/a.
    expect(overallScore(sampleReport())).toEqual({ score: 50, ran: 3, of: 5 });
    expect(overallScore(sampleWith((r) => r.status !== 'fail'))).toEqual({ score: 75, ran: 2, of: 4 });
  });

  it('fails a run with no failed check below the threshold, and says why in every format', () => {
    const passing = sampleWith((r) => r.status !== 'fail');
    expect(exitCodeFor(passing)).toBe(0);
    const report = applyFailUnder(passing, 80, '--fail-under');
    expect(report.failUnder).toMatchObject({ threshold: 80, score: 75, met: false, source: '--fail-under' });
    expect(exitCodeFor(report)).toBe(1);
    const line = 'Overall score 75% (2 of 4 checks ran) is below --fail-under 80: the run fails';
    expect(failUnderLine(report)?.text).toContain(line);
    expect(formatReport(report, 'pretty')).toContain(line);
    expect(formatReport(report, 'markdown')).toContain(line);
    expect(formatReport(report, 'html')).toContain(line);
    expect(formatReport(report, 'junit')).toMatch(/<failure message="Overall score 75% .* is below --fail-under 80/);
    const sarif = JSON.parse(formatReport(report, 'sarif')) as {
      runs: { invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[] }[];
    };
    expect(sarif.runs[0]?.invocations[0]?.toolExecutionNotifications).toContainEqual({
      level: 'error',
      message: { text: expect.stringContaining(line) as string },
    });
    expect((JSON.parse(formatReport(report, 'json')) as { failUnder: unknown }).failUnder).toEqual(report.failUnder);
  });

  it('passes at the threshold, and names the config file when the threshold is its', () => {
    const met = applyFailUnder(
      sampleWith((r) => r.status !== 'fail'),
      75,
      'ci/mcp-arch.verify.json',
    );
    expect(met.failUnder?.met).toBe(true);
    expect(exitCodeFor(met)).toBe(0);
    expect(failUnderLine(met)?.text).toBe(
      'Overall score 75% (2 of 4 checks ran) meets failUnder in ci/mcp-arch.verify.json 75',
    );
    // A failing check still fails the run: the threshold adds a reason to fail, never removes one.
    expect(exitCodeFor(applyFailUnder(sampleReport(), 10, '--fail-under'))).toBe(1);
  });

  it('leaves a run with no score to the other exit rules', () => {
    const nothing = applyFailUnder(
      sampleWith((r) => r.status === 'n/a' || r.status === 'skip'),
      90,
      '--fail-under',
    );
    expect(nothing.failUnder).toMatchObject({ score: null, met: true });
    expect(exitCodeFor(nothing)).toBe(3);
    expect(failUnderLine(nothing)?.text).toContain('no check produced a verdict');
  });
});
