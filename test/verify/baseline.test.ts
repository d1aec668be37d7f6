import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/core/errors.js';
import { applyBaseline, exitCodeFor, formatReport, parseBaseline } from '../../src/verify/index.js';
import { sampleReport } from './sample-report.js';

const baselineOf = (accepted: { check: string; reason: string }[]) =>
  parseBaseline(JSON.stringify({ schemaVersion: 1, accepted }), 'mcp-arch.baseline.json');

describe('baseline of accepted failures', () => {
  it('accepts a named failure: still reported as fail, marked accepted, and the run passes', () => {
    const report = sampleReport();
    expect(exitCodeFor(report)).toBe(EXIT.failed);
    const failing = report.results
      .filter((result) => result.status === 'fail')
      .map((result) => ({ check: result.id, reason: 'known, tracked in OPS-1' }));
    const applied = applyBaseline(report, baselineOf(failing));
    expect(
      applied.results
        .filter((result) => result.status === 'fail')
        .every((result) => result.accepted?.reason === 'known, tracked in OPS-1'),
    ).toBe(true);
    expect(applied.baseline).toEqual({ file: 'mcp-arch.baseline.json', accepted: failing.length, stale: [] });
    expect(exitCodeFor(applied)).not.toBe(EXIT.failed);
  });

  it('does not accept failures it does not name; an entry whose check could not run (skip) is neither used nor stale', () => {
    const applied = applyBaseline(
      sampleReport(),
      baselineOf([{ check: 'observability.tracing', reason: 'collector not deployed yet' }]),
    );
    expect(applied.results.find((result) => result.id === 'security.origin-validation')).toMatchObject({
      status: 'fail',
    });
    expect(applied.results.some((result) => result.accepted)).toBe(false);
    expect(applied.baseline).toEqual({ file: 'mcp-arch.baseline.json', accepted: 0, stale: [] });
    expect(exitCodeFor(applied)).toBe(EXIT.failed);
  });

  it('fails the run on stale entries: a check that passes or does not apply, and an unknown id; ignores checks left out of the run', () => {
    const report = sampleReport();
    const failing = report.results
      .filter((result) => result.status === 'fail')
      .map((result) => ({ check: result.id, reason: 'accepted' }));
    const applied = applyBaseline(
      report,
      baselineOf(
        [
          ...failing,
          { check: 'pre-deployment.architecture-pattern', reason: 'old' },
          { check: 'security.tls', reason: 'old' },
          { check: 'security.firewall', reason: 'typo' },
          { check: 'resilience.backup-recovery', reason: 'not in this report' },
        ].filter((entry, index, all) => all.findIndex((other) => other.check === entry.check) === index),
      ),
    );
    expect(applied.baseline?.stale.map((entry) => entry.problem)).toEqual([
      'pre-deployment.architecture-pattern now reports pass, not fail',
      'security.tls now reports n/a, not fail',
      'security.firewall is not a check of this checklist',
    ]);
    expect(exitCodeFor(applied)).toBe(EXIT.failed);
    expect(formatReport(applied, 'pretty')).toMatch(
      /Stale baseline entry: security\.firewall is not a check of this checklist\. Remove it from mcp-arch\.baseline\.json\./,
    );
    expect(formatReport(applied, 'markdown')).toMatch(/### Stale baseline entries/);
    const junit = formatReport(applied, 'junit');
    expect(junit).toMatch(/<testsuite name="baseline" tests="3" failures="3"/);
    expect(junit).toMatch(/<skipped message="accepted in the baseline: accepted"\/>/);
  });

  it('marks accepted failures as suppressed in SARIF, keeping file and line', () => {
    const applied = applyBaseline(
      sampleReport(),
      baselineOf([{ check: 'security.origin-validation', reason: 'proxy checks Origin' }]),
    );
    const sarif = JSON.parse(formatReport(applied, 'sarif')) as {
      runs: {
        results: {
          ruleId: string;
          suppressions?: { justification: string }[];
          locations: { physicalLocation: { region?: { startLine: number } } }[];
        }[];
      }[];
    };
    const origin = sarif.runs[0]?.results.filter((result) => result.ruleId === 'security.origin-validation') ?? [];
    expect(origin.length).toBeGreaterThan(0);
    expect(origin[0]?.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'proxy checks Origin' },
    ]);
    expect(origin[0]?.locations[0]?.physicalLocation.region?.startLine).toBe(7);
  });

  it('refuses malformed files with the entry at fault', () => {
    const parse = (data: unknown) => () => parseBaseline(JSON.stringify(data), 'b.json');
    expect(parse({ schemaVersion: 2, accepted: [] })).toThrow(/"schemaVersion" must be 1/);
    expect(parse({ schemaVersion: 1 })).toThrow(/"accepted" must be an array/);
    expect(parse({ schemaVersion: 1, accepted: [{ reason: 'x' }] })).toThrow(
      /"accepted\[0\]\.check" must be a check id/,
    );
    expect(
      parse({
        schemaVersion: 1,
        accepted: [
          { check: 'security.tls', reason: 'a' },
          { check: 'security.tls', reason: 'b' },
        ],
      }),
    ).toThrow(/names security\.tls a second time/);
    expect(() => parseBaseline('{', 'b.json')).toThrow(UserError);
  });
});
