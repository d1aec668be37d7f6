import path from 'node:path';
import { UserError } from '../core/errors.js';
import { CHECK_CATEGORIES, isOneOf, type CheckCategory } from '../core/ids.js';
import type { Severity } from '../core/checklist.js';
import { REPORT_FORMATS, SEVERITIES, type ReportFormat } from './formats.js';

/**
 * What a caller asks `verify` to do, as given: the flags of `mcp-arch verify` or the fields a
 * program passes. `parseVerifyOptions` turns it into `VerifyTarget` or says what is wrong.
 */
export interface VerifyRequest {
  /** The suite named on the command line; only `checklist` exists. */
  suite?: string;
  /** The project's root (holds `mcp-arch.json`); relative to `cwd`. Default: `cwd`. */
  dir?: string;
  /** Base for a relative `dir`. Default: the process's working directory. */
  cwd?: string;
  /** Categories, each entry one name or a comma-separated list. */
  only?: readonly string[];
  live?: boolean;
  url?: string | URL;
  /** `--replica` (repeatable): base URLs of the replicas behind `url`, each probed directly. */
  replicas?: readonly (string | URL)[];
  /** `name: value` lines (`--header`), or a header record. */
  headers?: readonly string[] | Readonly<Record<string, string>>;
  /** Report format (`--format`); default `pretty`. */
  format?: string;
  /** `--json`: the same as `format: 'json'`, as every other command spells it. */
  json?: boolean;
  /** `--fail-on`: only failures of this severity or above fail the run. */
  failOn?: string;
  /** `--fail-under`: the run fails when its overall score (0-100) is below this. */
  failUnder?: string | number;
  /** `--config`: the verify config file; relative to `cwd`. */
  config?: string;
  /** `--report <format>=<file>` (repeatable): the report also written to files, one per format; relative to `cwd`. */
  reports?: readonly (string | ReportFile)[];
}

/** What verify runs against, every field checked. */
export interface VerifyTarget {
  /** Absolute path of the project's root. */
  dir: string;
  /** Only these categories; absent means all of them. */
  only?: CheckCategory[];
  /** Probe a running instance: the one at `url`, or the project started by verify. */
  live: boolean;
  /** Base URL of a running instance (or its MCP endpoint), http or https. */
  url?: URL;
  /** Replicas of the deployment (`--replica`), each reached directly, for probes across replicas. */
  replicas?: URL[];
  /** Sent with every live probe. */
  headers: Record<string, string>;
  /** How the report is printed. */
  format: ReportFormat;
  /** Given with `--fail-on`; absent, the config file's `failOn` or `low` applies. */
  failOn?: Severity;
  /** Given with `--fail-under`; absent, the config file's `failUnder` applies, if any. */
  failUnder?: number;
  /** Absolute path of the config file given with `--config`; absent, the project's default file is read when present. */
  config?: string;
  /** Files the report is also written to (`--report`), each in its format; absolute paths, none twice. */
  reports?: ReportFile[];
}

/** One `--report <format>=<file>`. */
export interface ReportFile {
  format: ReportFormat;
  file: string;
}

/** The suites `mcp-arch verify [suite]` knows. */
export const VERIFY_SUITES = ['checklist'] as const;

/** RFC 9110 field names; values must not smuggle extra lines. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_EXAMPLE = 'e.g. --header "Authorization: Bearer <token>"';

/**
 * Validates a verify request in one place, for the CLI and for programs alike. Every problem is
 * a UserError (exit 2) naming the flag, what was wrong and what would work. Idempotent: a
 * `VerifyTarget` given back as a request comes out unchanged.
 */
export function parseVerifyOptions(request: VerifyRequest): VerifyTarget {
  if (request.suite !== undefined && !isOneOf(VERIFY_SUITES, request.suite)) {
    throw new UserError(
      `Unknown suite ${JSON.stringify(request.suite)}: the suite is "checklist" (mcp-arch verify checklist).`,
    );
  }
  const url = request.url === undefined ? undefined : parseUrl(request.url);
  const live = request.live === true || url !== undefined;
  const headers = parseHeaders(request.headers);
  if (!live && Object.keys(headers).length > 0) {
    throw new UserError(
      '--header is sent with live probes only: pass --url <http://host:port> or --live too, or drop --header.',
    );
  }
  const replicas = parseReplicas(request.replicas, live);
  const only = parseCategories(request.only);
  const failOn = request.failOn === undefined ? undefined : parseSeverity(request.failOn, '--fail-on');
  const failUnder = request.failUnder === undefined ? undefined : parseScore(request.failUnder, '--fail-under');
  const cwd = request.cwd ?? process.cwd();
  if (request.config !== undefined && request.config.trim() === '')
    throw new UserError('--config needs a file, e.g. --config mcp-arch.verify.json.');
  return {
    dir: path.resolve(cwd, request.dir ?? '.'),
    ...(only ? { only } : {}),
    live,
    ...(url ? { url } : {}),
    ...(replicas ? { replicas } : {}),
    headers,
    format: parseFormat(request.format, request.json === true),
    ...(failOn ? { failOn } : {}),
    ...(failUnder === undefined ? {} : { failUnder }),
    ...(request.config === undefined ? {} : { config: path.resolve(cwd, request.config) }),
    ...(request.reports && request.reports.length > 0 ? { reports: parseReports(request.reports, cwd) } : {}),
  };
}

const REPORT_EXAMPLE = 'e.g. --report sarif=verify.sarif --report markdown=verify.md';

/** `--report <format>=<file>`: a known format and a file, no file named twice. */
function parseReports(values: readonly (string | ReportFile)[], cwd: string): ReportFile[] {
  const byFile = new Map<string, ReportFile>();
  for (const value of values) {
    // A parsed target given back as a request stays as it is.
    const [format, file] =
      typeof value === 'string'
        ? [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)]
        : [value.format, value.file];
    if (typeof value === 'string' && !value.includes('=')) {
      throw new UserError(`--report ${value} needs <format>=<file>, ${REPORT_EXAMPLE}.`);
    }
    if (!isOneOf(REPORT_FORMATS, format)) {
      throw new UserError(
        `--report ${String(value)}: ${JSON.stringify(format)} is not a report format. Use one of: ${REPORT_FORMATS.join(', ')} (${REPORT_EXAMPLE}).`,
      );
    }
    if (file.trim() === '') throw new UserError(`--report ${format}= names no file, ${REPORT_EXAMPLE}.`);
    const absolute = path.resolve(cwd, file);
    if (byFile.has(absolute)) {
      throw new UserError(`--report names ${file} twice: give each report its own file.`);
    }
    byFile.set(absolute, { format, file: absolute });
  }
  return [...byFile.values()];
}

/** `--replica` URLs: http(s), given with a live run; the same replica twice is one. */
function parseReplicas(values: VerifyRequest['replicas'], live: boolean): URL[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const example = '--replica http://10.0.0.11:3000';
  if (!live) {
    throw new UserError(
      `--replica names a running replica to probe: pass --url <load balancer> (or --live) too, or drop --replica (e.g. --url https://mcp.example.com ${example} --replica http://10.0.0.12:3000).`,
    );
  }
  const replicas = new Map<string, URL>();
  for (const value of values) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new UserError(`--replica ${String(value)} is not a URL. Pass e.g. ${example}.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UserError(`--replica ${String(value)} must be http:// or https://, e.g. ${example}.`);
    }
    replicas.set(parsed.href, parsed);
  }
  return [...replicas.values()];
}

/** A severity for `what` (a flag or a config key), or a UserError listing the severities. */
export function parseSeverity(value: unknown, what: string): Severity {
  if (typeof value === 'string' && isOneOf(SEVERITIES, value)) return value;
  throw new UserError(`${what} ${JSON.stringify(value)} is not a severity. Use one of: ${SEVERITIES.join(', ')}.`);
}

/**
 * A score threshold from 0 to 100 for `what` (a flag or a config key), or a UserError saying
 * the range. Strings are read as decimal numbers only: `80`, `87.5`.
 */
export function parseScore(value: unknown, what: string): number {
  const score =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isFinite(score) || score < 0 || score > 100) {
    throw new UserError(
      `${what} ${typeof value === 'string' ? value : JSON.stringify(value)} is not a score: use a number from 0 to 100 (the overall score in percent), e.g. ${what} 80.`,
    );
  }
  return score;
}

function parseFormat(format: string | undefined, json: boolean): ReportFormat {
  if (format !== undefined && !isOneOf(REPORT_FORMATS, format)) {
    throw new UserError(`--format ${format} is not a report format. Use one of: ${REPORT_FORMATS.join(', ')}.`);
  }
  if (json && format !== undefined && format !== 'json') {
    throw new UserError(`--json is --format json: drop --json or --format ${format}.`);
  }
  return json ? 'json' : (format ?? 'pretty');
}

function parseUrl(value: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UserError(`--url ${String(value)} is not a URL. Pass e.g. --url http://127.0.0.1:3000.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserError(`--url ${String(value)} must be http:// or https://, e.g. --url https://mcp.example.com.`);
  }
  return parsed;
}

function parseCategories(values: readonly string[] | undefined): CheckCategory[] | undefined {
  const names = (values ?? [])
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) return undefined;
  const unknown = names.find((name) => !isOneOf(CHECK_CATEGORIES, name));
  if (unknown !== undefined) {
    throw new UserError(`--only ${unknown} is not a checklist category. Use one of: ${CHECK_CATEGORIES.join(', ')}.`);
  }
  return [...new Set(names as CheckCategory[])];
}

function parseHeaders(given: VerifyRequest['headers']): Record<string, string> {
  const entries: [string, string][] = [];
  if (Array.isArray(given)) {
    for (const line of given as readonly string[]) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new UserError(`--header ${JSON.stringify(line)}: expected name:value, ${HEADER_EXAMPLE}.`);
      entries.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
  } else if (given) {
    entries.push(...Object.entries(given as Record<string, string>));
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name))
      throw new UserError(`--header ${JSON.stringify(name)} is not a valid header name, ${HEADER_EXAMPLE}.`);
    if (/[\r\n\0]/.test(value)) throw new UserError(`--header ${name}: the value must be a single line.`);
    headers[name] = value;
  }
  return headers;
}
