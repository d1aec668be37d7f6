import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';
import { UserError } from '../../src/core/errors.js';
import {
  applyVerifyConfig,
  checksOff,
  parseVerifyConfig,
  resolveVerifyConfig,
  VERIFY_CONFIG_FILE,
} from '../../src/verify/config.js';
import { exitCodeFor } from '../../src/verify/run.js';
import { sampleReport } from './sample-report.js';

const FILE = 'team/mcp-arch.verify.json';

/** The UserError a config text is refused with. */
function refusal(text: string): UserError {
  try {
    parseVerifyConfig(text, FILE);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`accepted ${text}`);
}

const config = (value: unknown) => JSON.stringify({ schemaVersion: 1, ...(value as object) });

describe('parseVerifyConfig', () => {
  it('reads severity overrides, checks turned off and the gate defaults', () => {
    expect(
      parseVerifyConfig(
        config({
          checks: {
            'security.tls': { severity: 'low' },
            'resilience.backup-recovery': { off: 'documented in runbook X' },
          },
          failOn: 'medium',
          failUnder: 80,
        }),
        FILE,
      ),
    ).toEqual({
      file: FILE,
      checks: { 'security.tls': { severity: 'low' }, 'resilience.backup-recovery': { off: 'documented in runbook X' } },
      failOn: 'medium',
      failUnder: 80,
    });
    expect(parseVerifyConfig(config({}), FILE)).toEqual({ file: FILE, checks: {} });
  });

  it('names the file, the unknown check id and the ids that exist', () => {
    const error = refusal(config({ checks: { 'security.tlss': { severity: 'low' } } }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('"checks.security.tlss"');
    for (const item of CHECKLIST) expect(error.message).toContain(item.id);
  });

  it('names an unknown key at the top and in a check, with the keys that exist', () => {
    const top = refusal(config({ failunder: 80 }));
    expect(top.message).toMatch(
      /team\/mcp-arch\.verify\.json: unknown key "failunder"; the keys are "schemaVersion", "checks", "failOn", "failUnder"/,
    );
    const inCheck = refusal(config({ checks: { 'security.tls': { level: 'low' } } }));
    expect(inCheck.message).toMatch(/"checks\.security\.tls": unknown key "level"; a check takes "severity" or "off"/);
  });

  it('names a bad severity with the severities that exist', () => {
    const error = refusal(config({ checks: { 'security.tls': { severity: 'urgent' } } }));
    expect(error.message).toContain(
      '"checks.security.tls".severity "urgent" is not a severity. Use one of: low, medium, high, critical',
    );
    expect(refusal(config({ failOn: 'severe' })).message).toContain(
      '"failOn" "severe" is not a severity. Use one of: low, medium, high, critical',
    );
  });

  it('refuses a score threshold outside 0-100, an empty reason, both settings, and a wrong version', () => {
    for (const failUnder of [-1, 101, '80', null])
      expect(refusal(config({ failUnder })).message).toContain('is not a score: use a number from 0 to 100');
    expect(refusal(config({ checks: { 'security.tls': { off: ' ' } } })).message).toContain('must say why');
    expect(refusal(config({ checks: { 'security.tls': { off: 'x', severity: 'low' } } })).message).toContain(
      'not both',
    );
    expect(refusal(config({ checks: { 'security.tls': {} } })).message).toContain('is empty');
    expect(refusal(JSON.stringify({ schemaVersion: 2 })).message).toContain('"schemaVersion" must be 1; got 2');
    expect(refusal('{"schemaVersion": 1,').message).toContain('not valid JSON');
    expect(refusal('[]').message).toContain('must hold a JSON object');
  });
});

describe('resolveVerifyConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'verify-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the project default when present, and only then', async () => {
    expect(await resolveVerifyConfig(undefined, dir)).toBeUndefined();
    await writeFile(path.join(dir, VERIFY_CONFIG_FILE), config({ failUnder: 70 }));
    expect(await resolveVerifyConfig(undefined, dir)).toMatchObject({
      file: path.join(dir, VERIFY_CONFIG_FILE),
      failUnder: 70,
    });
  });

  it('makes a missing --config file a usage error naming it', async () => {
    const missing = path.join(dir, 'nope.json');
    await expect(resolveVerifyConfig(missing, dir)).rejects.toThrow(`--config ${missing}: no such file`);
  });
});

describe('applyVerifyConfig', () => {
  it('marks an overridden severity, and --fail-on then judges by it', () => {
    const report = sampleReport();
    // The sample's failing check is critical: it fails the run at any --fail-on.
    expect(exitCodeFor(report, { failOn: 'high' })).toBe(1);
    const applied = applyVerifyConfig(report, {
      file: FILE,
      checks: { 'security.origin-validation': { severity: 'low' } },
    });
    const result = applied.results.find((entry) => entry.id === 'security.origin-validation');
    expect(result).toMatchObject({
      severity: 'low',
      severityOverride: { from: 'critical', file: FILE },
      status: 'fail',
    });
    expect(applied.config).toEqual({ file: FILE });
    expect(exitCodeFor(applied, { failOn: 'high' })).toBe(0);
    expect(exitCodeFor(applied, { failOn: 'low' })).toBe(1);
  });

  it('turns a check off as a skip with the reason, recounting the scores; n/a stays n/a', () => {
    const applied = applyVerifyConfig(sampleReport(), {
      file: FILE,
      checks: {
        'security.origin-validation': { off: 'the proxy checks Origin' },
        'security.tls': { off: 'local only' },
      },
    });
    const off = applied.results.find((entry) => entry.id === 'security.origin-validation');
    expect(off).toMatchObject({
      status: 'skip',
      summary: `Off in ${FILE}: the proxy checks Origin`,
      findings: [],
      off: { reason: 'the proxy checks Origin', file: FILE },
    });
    expect(applied.results.find((entry) => entry.id === 'security.tls')?.status).toBe('n/a');
    expect(applied.summary.counts).toMatchObject({ fail: 0, skip: 2 });
    expect(applied.summary.categories.find((entry) => entry.category === 'security')?.score).toBe(50);
    expect(exitCodeFor(applied)).toBe(0);
    expect(
      checksOff({
        file: FILE,
        checks: { 'security.tls': { off: 'x' }, 'security.rate-limiting': { severity: 'low' } },
      }),
    ).toEqual(new Set(['security.tls']));
  });
});
