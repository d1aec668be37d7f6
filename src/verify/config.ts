import path from 'node:path';
import { readFlagFile } from './readers/files.js';
import { CHECKLIST, type Severity } from '../core/checklist.js';
import { EXIT, UserError } from '../core/errors.js';
import { isOneOf } from '../core/ids.js';
import { SEVERITIES, VERIFY_CONFIG_FILE } from './formats.js';
import { summarise, type CheckResult, type VerifyReport } from './report.js';

export { VERIFY_CONFIG_FILE };
export const VERIFY_CONFIG_SCHEMA_VERSION = 1;

/** What the config file says about one check: another severity, or that it is off and why. */
export type CheckSetting = { severity: Severity } | { off: string };

/** A verify config file, read and checked. */
export interface VerifyConfig {
  /** Path as read, for messages and reports. */
  file: string;
  checks: Record<string, CheckSetting>;
  /** Default of `--fail-on`. */
  failOn?: Severity;
  /** Default of `--fail-under`. */
  failUnder?: number;
}

const TOP_KEYS = ['schemaVersion', 'checks', 'failOn', 'failUnder'] as const;
const CHECK_KEYS = ['severity', 'off'] as const;
const EXAMPLE = `{"schemaVersion": ${VERIFY_CONFIG_SCHEMA_VERSION}, "checks": {"security.tls": {"severity": "low"}, "resilience.backup-recovery": {"off": "restores are drilled quarterly, see the runbook"}}, "failOn": "medium", "failUnder": 80}`;

/**
 * Reads a verify config file. `required` (given with --config) makes a missing file an error;
 * the default file is optional. Every problem is a UserError (exit 2) naming the file, the key
 * and the values that would work.
 */
export async function loadVerifyConfig(
  file: string,
  { required }: { required: boolean },
): Promise<VerifyConfig | undefined> {
  const text = await readFlagFile('--config', file, { required, example: `${VERIFY_CONFIG_FILE} holding ${EXAMPLE}` });
  return text === undefined ? undefined : parseVerifyConfig(text, file);
}

/** The config to use: the one given, else the project's default file when present. */
export async function resolveVerifyConfig(
  given: string | undefined,
  projectDir: string,
): Promise<VerifyConfig | undefined> {
  if (given !== undefined) return loadVerifyConfig(path.resolve(given), { required: true });
  return loadVerifyConfig(path.join(projectDir, VERIFY_CONFIG_FILE), { required: false });
}

export function parseVerifyConfig(text: string, file: string): VerifyConfig {
  const bad = (what: string) => new UserError(`${file}: ${what}. Example: ${EXAMPLE}.`, EXIT.usage);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw bad(`not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(data)) throw bad('must hold a JSON object');
  const unknownTop = Object.keys(data).find((key) => !isOneOf(TOP_KEYS, key));
  if (unknownTop !== undefined)
    throw bad(
      `unknown key ${JSON.stringify(unknownTop)}; the keys are ${TOP_KEYS.map((key) => `"${key}"`).join(', ')}`,
    );
  if (data.schemaVersion !== VERIFY_CONFIG_SCHEMA_VERSION)
    throw bad(
      `"schemaVersion" must be ${VERIFY_CONFIG_SCHEMA_VERSION}; got ${JSON.stringify(data.schemaVersion) ?? 'nothing'}`,
    );

  const checks: Record<string, CheckSetting> = {};
  if (data.checks !== undefined) {
    if (!isRecord(data.checks)) throw bad('"checks" must be an object keyed by check id, e.g. {"security.tls": {…}}');
    const known = CHECKLIST.map((item) => item.id);
    for (const [id, setting] of Object.entries(data.checks)) {
      const key = `"checks.${id}"`;
      if (!known.includes(id))
        throw bad(`${key}: ${JSON.stringify(id)} is not a check id. Use one of: ${known.join(', ')}`);
      if (!isRecord(setting)) throw bad(`${key} must be an object: {"severity": "<severity>"} or {"off": "<reason>"}`);
      const unknown = Object.keys(setting).find((name) => !isOneOf(CHECK_KEYS, name));
      if (unknown !== undefined)
        throw bad(
          `${key}: unknown key ${JSON.stringify(unknown)}; a check takes ${CHECK_KEYS.map((name) => `"${name}"`).join(' or ')}`,
        );
      if ('severity' in setting && 'off' in setting)
        throw bad(`${key}: give "severity" or "off", not both (a check that is off has no severity)`);
      if ('off' in setting) {
        if (typeof setting.off !== 'string' || setting.off.trim() === '')
          throw bad(`${key}.off must say why the check is off, e.g. "off": "restores are drilled quarterly"`);
        checks[id] = { off: setting.off };
      } else if ('severity' in setting) {
        if (typeof setting.severity !== 'string' || !isOneOf(SEVERITIES, setting.severity))
          throw bad(
            `${key}.severity ${JSON.stringify(setting.severity)} is not a severity. Use one of: ${SEVERITIES.join(', ')}`,
          );
        checks[id] = { severity: setting.severity };
      } else {
        throw bad(`${key} is empty: give {"severity": "<severity>"} or {"off": "<reason>"}`);
      }
    }
  }

  const config: VerifyConfig = { file, checks };
  if (data.failOn !== undefined) {
    if (typeof data.failOn !== 'string' || !isOneOf(SEVERITIES, data.failOn))
      throw bad(`"failOn" ${JSON.stringify(data.failOn)} is not a severity. Use one of: ${SEVERITIES.join(', ')}`);
    config.failOn = data.failOn;
  }
  if (data.failUnder !== undefined) {
    if (
      typeof data.failUnder !== 'number' ||
      !Number.isFinite(data.failUnder) ||
      data.failUnder < 0 ||
      data.failUnder > 100
    )
      throw bad(`"failUnder" ${JSON.stringify(data.failUnder)} is not a score: use a number from 0 to 100`);
    config.failUnder = data.failUnder;
  }
  return config;
}

/** The ids of the checks the config turns off: the run leaves them out. */
export function checksOff(config: VerifyConfig | undefined): Set<string> {
  return new Set(Object.entries(config?.checks ?? {}).flatMap(([id, setting]) => ('off' in setting ? [id] : [])));
}

/**
 * Applies the config to a report: a check it turns off is a `skip` saying why (it proves
 * nothing either way, so it is never a pass), and a check it gives another severity carries
 * that severity, marked as overridden, for `--fail-on` and every report. A check the run left
 * out (`--only`) stays out.
 */
export function applyVerifyConfig(report: VerifyReport, config: VerifyConfig): VerifyReport {
  const results = report.results.map((result): CheckResult => {
    const setting = config.checks[result.id];
    if (!setting) return result;
    if ('off' in setting) {
      // A check that does not apply stays n/a: turning it off changes nothing.
      if (result.status === 'n/a') return result;
      return {
        ...result,
        status: 'skip',
        summary: `Off in ${config.file}: ${setting.off}`,
        findings: [],
        off: { reason: setting.off, file: config.file },
      };
    }
    if (setting.severity === result.severity) return result;
    return {
      ...result,
      severity: setting.severity,
      severityOverride: { from: result.severity, file: config.file },
    };
  });
  const changed = results.some((result, index) => result !== report.results[index]);
  return {
    ...report,
    results,
    config: { file: config.file },
    ...(changed ? { summary: summarise(results) } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
