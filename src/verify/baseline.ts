import path from 'node:path';
import { readFlagFile } from './readers/files.js';
import { CHECKLIST } from '../core/checklist.js';
import { EXIT, UserError } from '../core/errors.js';
import type { BaselineSummary, VerifyReport } from './report.js';

/** Read from the project root when `--baseline` is not given and the file exists. */
export const BASELINE_FILE = 'mcp-arch.baseline.json';
export const BASELINE_SCHEMA_VERSION = 1;

/** One accepted failure: the check it names and why the team accepts it for now. */
export interface BaselineEntry {
  check: string;
  reason: string;
}

export interface Baseline {
  /** Path as given (or the default), for messages. */
  file: string;
  entries: BaselineEntry[];
}

const EXAMPLE = `{"schemaVersion": ${BASELINE_SCHEMA_VERSION}, "accepted": [{"check": "security.tls", "reason": "TLS ends at the corporate proxy"}]}`;

/**
 * Reads a baseline file. `required` (given with --baseline) makes a missing file an error;
 * the default file is optional. Every problem is a UserError (exit 2) naming the file and entry.
 */
export async function loadBaseline(file: string, { required }: { required: boolean }): Promise<Baseline | undefined> {
  const text = await readFlagFile('--baseline', file, { required, example: `${BASELINE_FILE} holding ${EXAMPLE}` });
  return text === undefined ? undefined : parseBaseline(text, file);
}

export function parseBaseline(text: string, file: string): Baseline {
  const bad = (what: string) => new UserError(`${file}: ${what}. Expected ${EXAMPLE}.`, EXIT.usage);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw bad(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('must hold a JSON object');
  const record = data as Record<string, unknown>;
  if (record.schemaVersion !== BASELINE_SCHEMA_VERSION)
    throw bad(`"schemaVersion" must be ${BASELINE_SCHEMA_VERSION}; got ${JSON.stringify(record.schemaVersion)}`);
  if (!Array.isArray(record.accepted)) throw bad('"accepted" must be an array of {"check", "reason"}');
  const entries: BaselineEntry[] = [];
  for (const [index, entry] of record.accepted.entries()) {
    const item = entry as Record<string, unknown> | null;
    if (typeof item !== 'object' || item === null || typeof item.check !== 'string' || item.check.trim() === '')
      throw bad(`"accepted[${index}].check" must be a check id such as "security.tls"`);
    if (typeof item.reason !== 'string' || item.reason.trim() === '')
      throw bad(`"accepted[${index}].reason" must say why ${item.check} is accepted`);
    if (entries.some((earlier) => earlier.check === item.check))
      throw bad(`"accepted[${index}]" names ${item.check} a second time`);
    entries.push({ check: item.check, reason: item.reason });
  }
  return { file, entries };
}

/** The baseline to use: the one given, else the project's default file when present. */
export async function resolveBaseline(given: string | undefined, projectDir: string): Promise<Baseline | undefined> {
  if (given !== undefined) return loadBaseline(path.resolve(given), { required: true });
  return loadBaseline(path.join(projectDir, BASELINE_FILE), { required: false });
}

/**
 * Marks failures the baseline accepts, and lists entries that no longer hold: a check that
 * now passes (or warns, or does not apply) and an id that is not a check are stale, and a
 * stale entry fails the run so the baseline shrinks as problems get fixed. Checks left out
 * of the run (`--only`) or that could not run (`skip`) prove nothing either way.
 */
export function applyBaseline(report: VerifyReport, baseline: Baseline): VerifyReport {
  const known = new Set(CHECKLIST.map((item) => item.id));
  const stale: BaselineSummary['stale'] = [];
  const byId = new Map(baseline.entries.map((entry) => [entry.check, entry]));
  const results = report.results.map((result) => {
    const entry = byId.get(result.id);
    return entry && result.status === 'fail' ? { ...result, accepted: { reason: entry.reason } } : result;
  });
  for (const entry of baseline.entries) {
    if (!known.has(entry.check)) {
      stale.push({
        check: entry.check,
        reason: entry.reason,
        problem: `${entry.check} is not a check of this checklist`,
      });
      continue;
    }
    const result = results.find((candidate) => candidate.id === entry.check);
    if (result && (result.status === 'pass' || result.status === 'warn' || result.status === 'n/a')) {
      stale.push({
        check: entry.check,
        reason: entry.reason,
        problem: `${entry.check} now reports ${result.status === 'n/a' ? 'n/a' : `${result.status === 'pass' ? 'pass' : 'warn'}`}, not fail`,
      });
    }
  }
  const accepted = results.filter((result) => result.accepted).length;
  return { ...report, results, baseline: { file: baseline.file, accepted, stale } };
}
