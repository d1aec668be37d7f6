import { Chalk, type ChalkInstance } from 'chalk';
import { CATEGORY_TITLES } from '../../core/checklist.js';
import { CHECK_CATEGORIES } from '../../core/ids.js';
import type { CheckStatus } from '../check.js';
import { failUnderLine, scoreCoverage, type CheckResult, type EraReport, type VerifyReport } from '../report.js';

export interface PrettyOptions {
  /** Decided by the caller from the TTY, NO_COLOR and FORCE_COLOR; chalk's own detection ignores NO_COLOR. */
  color: boolean;
}

const SYMBOLS: Record<CheckStatus, string> = {
  pass: '✔',
  fail: '✖',
  warn: '▲',
  skip: '○',
  'n/a': '–',
  manual: '?',
};

/** `2026-07-28 served, 2025-11-25 not served (reason)`. */
export function erasLine(eras: readonly EraReport[]): string {
  return eras
    .map((era) => `${era.version} ${era.served ? 'served' : `not served (${era.reason ?? 'no reason given'})`}`)
    .join(', ');
}

/** What to tell about the credentials when they kept probes out; nothing when they got through. */
export function credentialsLine(report: VerifyReport): string | undefined {
  const credentials = report.mode.credentials;
  if (!credentials?.refused) return undefined;
  const skipped = 'the probes that need to get past authentication were skipped';
  return credentials.given
    ? `The credentials given with --header were refused (initialize answered ${credentials.status}): ${skipped}. Pass valid credentials (an expired or wrong token fails the run).`
    : `The server requires credentials (initialize answered ${credentials.status}) and none were given: ${skipped}; pass credentials with --header.`;
}

/** Human-readable report for a terminal: grouped by category, with scores, findings and fixes. */
export function formatPretty(report: VerifyReport, { color }: PrettyOptions): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const paint = painter(c);
  const lines: string[] = [];
  lines.push(
    c.bold(`mcp-arch verify: ${report.project.name}`) +
      c.dim(` (${report.project.pattern ?? 'no mcp-arch.json: live probes only'}) ${report.project.dir}`),
  );
  if (report.mode.url && !report.mode.live)
    lines.push(
      c.dim(
        `Live probes requested for ${report.mode.url}: no check has a live probe in this version; static checks only.`,
      ),
    );
  if (report.mode.live) {
    lines.push(
      c.dim(
        `Live probes against ${report.mode.mcpUrl ?? report.mode.url ?? '?'}${report.mode.started ? ' (started by verify, stopped afterwards)' : ''}${report.mode.reachable === false ? ': could not connect, nothing was probed' : ''}`,
      ),
    );
    if (report.mode.eras) lines.push(c.dim(`Protocol eras: ${erasLine(report.mode.eras)}`));
    const credentials = credentialsLine(report);
    if (credentials) lines.push(report.mode.credentials?.given ? c.red(`✖ ${credentials}`) : c.yellow(credentials));
  }
  lines.push('');

  for (const category of CHECK_CATEGORIES) {
    const results = report.results.filter((result) => result.category === category);
    if (results.length === 0) continue;
    const entry = report.summary.categories.find((candidate) => candidate.category === category);
    const score = entry?.score;
    const coverage = entry ? scoreCoverage(entry) : undefined;
    const ran = coverage ? c.dim(` (${coverage.ran} of ${coverage.of} check${coverage.of === 1 ? '' : 's'} ran)`) : '';
    lines.push(
      `${c.bold(CATEGORY_TITLES[category])}  ${score === null || score === undefined ? c.dim('not scored') : scoreText(c, score)}${ran}`,
    );
    for (const result of results) lines.push(...formatResult(result, paint, c));
    lines.push('');
  }

  const { counts } = report.summary;
  const totals = (['pass', 'fail', 'warn', 'manual', 'skip', 'n/a'] as const)
    .filter((status) => counts[status] > 0)
    .map((status) =>
      paint(
        status,
        `${counts[status]} ${status === 'n/a' ? 'n/a' : status === 'pass' ? 'passed' : status === 'fail' ? 'failed' : status}`,
      ),
    );
  const accepted = report.baseline?.accepted ?? 0;
  lines.push(
    `${totals.join(c.dim(', '))}${accepted > 0 ? c.dim(` (${accepted} accepted by ${report.baseline?.file})`) : ''} ${c.dim(`in ${report.durationMs} ms`)}`,
  );
  for (const entry of report.baseline?.stale ?? []) {
    lines.push(c.red(`✖ Stale baseline entry: ${entry.problem}. Remove it from ${report.baseline?.file}.`));
  }
  const gate = failUnderLine(report);
  if (gate) lines.push(gate.met ? c.dim(`${gate.text}.`) : c.red(`✖ ${gate.text}.`));
  return `${lines.join('\n')}\n`;
}

function formatResult(
  result: CheckResult,
  paint: (status: CheckStatus, text: string) => string,
  c: ChalkInstance,
): string[] {
  const accepted = result.accepted ? c.yellow(` accepted (baseline): ${result.accepted.reason}`) : '';
  const overridden = result.severityOverride
    ? c.yellow(
        ` severity ${result.severity} (overridden by ${result.severityOverride.file}; checklist: ${result.severityOverride.from})`,
      )
    : '';
  const lines = [
    `  ${paint(result.status, SYMBOLS[result.status])} ${result.title} ${c.dim(`[${result.id}]`)}${accepted}${overridden}`,
  ];
  // A lone finding usually is the summary; saying it twice adds nothing.
  const repeated = result.findings.length === 1 && result.findings[0]?.message === result.summary;
  if (!repeated || result.status === 'pass' || result.status === 'n/a') lines.push(`      ${c.dim(result.summary)}`);
  if (result.status === 'pass' || result.status === 'n/a') return lines;
  for (const finding of result.findings) {
    const where = finding.file ? c.cyan(`${finding.file}${finding.line ? `:${finding.line}` : ''}`) + ' ' : '';
    lines.push(`      ${paint(result.status, '→')} ${where}${finding.message}`);
    lines.push(`        ${c.dim('fix:')} ${finding.remediation}`);
  }
  return lines;
}

function painter(c: ChalkInstance): (status: CheckStatus, text: string) => string {
  return (status, text) => {
    switch (status) {
      case 'pass':
        return c.green(text);
      case 'fail':
        return c.red(text);
      case 'warn':
        return c.yellow(text);
      case 'manual':
        return c.magenta(text);
      default:
        return c.dim(text);
    }
  };
}

function scoreText(c: ChalkInstance, score: number): string {
  const text = `${score}%`;
  if (score >= 90) return c.green(text);
  if (score >= 60) return c.yellow(text);
  return c.red(text);
}
