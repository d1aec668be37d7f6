import path from 'node:path';
import { UserError } from '../core/errors.js';
import { CHECK_CATEGORIES, isOneOf, type CheckCategory } from '../core/ids.js';
import { REPORT_FORMATS, type ReportFormat } from './formats.js';

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
  /** `name: value` lines (`--header`), or a header record. */
  headers?: readonly string[] | Readonly<Record<string, string>>;
  /** Report format (`--format`); default `pretty`. */
  format?: string;
  /** `--json`: the same as `format: 'json'`, as every other command spells it. */
  json?: boolean;
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
  /** Sent with every live probe. */
  headers: Record<string, string>;
  /** How the report is printed. */
  format: ReportFormat;
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
  const only = parseCategories(request.only);
  return {
    dir: path.resolve(request.cwd ?? process.cwd(), request.dir ?? '.'),
    ...(only ? { only } : {}),
    live,
    ...(url ? { url } : {}),
    headers,
    format: parseFormat(request.format, request.json === true),
  };
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
