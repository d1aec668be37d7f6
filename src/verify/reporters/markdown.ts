import { CHECK_CATEGORIES } from '../../core/ids.js';
import type { CheckStatus } from '../check.js';
import { failUnderLine, scoreCoverage, type VerifyReport } from '../report.js';
import { credentialsLine, erasLine } from './pretty.js';

const EMOJI: Record<CheckStatus, string> = {
  pass: '✅',
  fail: '❌',
  warn: '⚠️',
  skip: '⏭️',
  'n/a': '➖',
  manual: '📝',
};

/** A Markdown summary for CI job pages (e.g. `$GITHUB_STEP_SUMMARY`). */
export function formatMarkdown(report: VerifyReport): string {
  const { counts } = report.summary;
  const out: string[] = [
    `## mcp-arch verify: ${cell(report.project.name)} (${report.project.pattern ?? 'no mcp-arch.json'})`,
    '',
    ...(report.mode.live
      ? [
          `Live probes against \`${report.mode.mcpUrl ?? report.mode.url ?? '?'}\`${report.mode.started ? ' (started by verify, stopped afterwards)' : ''}${report.mode.reachable === false ? ' (could not connect)' : ''}`,
          '',
          ...(report.mode.eras ? [`Protocol eras: ${cell(erasLine(report.mode.eras))}`, ''] : []),
          ...(credentialsLine(report)
            ? [`${report.mode.credentials?.given ? '❌ ' : ''}${inline(credentialsLine(report) ?? '')}`, '']
            : []),
        ]
      : []),
    `${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warnings, ${counts.manual} manual, ${counts.skip} skipped, ${counts['n/a']} n/a`,
    '',
    ...(failUnderLine(report)
      ? [`${failUnderLine(report)?.met ? '' : '❌ '}${inline(failUnderLine(report)?.text ?? '')}.`, '']
      : []),
    '| Category | Score | Pass | Fail | Warn |',
    '| --- | --- | --- | --- | --- |',
    ...report.summary.categories.map(
      (entry) =>
        `| ${entry.category} | ${entry.score === null ? '–' : `${entry.score}%`} (${scoreCoverage(entry).ran} of ${scoreCoverage(entry).of} ran) | ${entry.counts.pass} | ${entry.counts.fail} | ${entry.counts.warn} |`,
    ),
    '',
    '| Status | Check | Severity | Summary |',
    '| --- | --- | --- | --- |',
  ];
  for (const category of CHECK_CATEGORIES) {
    for (const result of report.results.filter((entry) => entry.category === category)) {
      const accepted = result.accepted ? ` (accepted: ${cell(result.accepted.reason)})` : '';
      const severity = result.severityOverride
        ? `${result.severity} (overridden by \`${cell(result.severityOverride.file)}\`; checklist: ${result.severityOverride.from})`
        : result.severity;
      out.push(
        `| ${EMOJI[result.status]} ${result.status}${accepted} | \`${result.id}\` ${cell(result.title)} | ${severity} | ${cell(result.summary)} |`,
      );
    }
  }
  const stale = report.baseline?.stale ?? [];
  if (stale.length > 0) {
    out.push('', `### Stale baseline entries (remove them from \`${report.baseline?.file}\`)`, '');
    for (const entry of stale) out.push(`- ❌ ${inline(entry.problem)} (accepted because: ${inline(entry.reason)})`);
  }
  const detailed = report.results.filter(
    (result) =>
      (result.status === 'fail' || result.status === 'warn' || result.status === 'manual') &&
      result.findings.length > 0,
  );
  if (detailed.length > 0) {
    out.push('', '### Findings', '');
    for (const result of detailed) {
      out.push(
        `<details><summary>${EMOJI[result.status]} <code>${html(result.id)}</code> ${html(result.summary)}</summary>`,
        '',
      );
      for (const finding of result.findings) {
        const where = finding.file ? `\`${finding.file}${finding.line ? `:${finding.line}` : ''}\` ` : '';
        out.push(`- ${where}${inline(finding.message)}  `, `  Fix: ${inline(finding.remediation)}`);
      }
      out.push('', '</details>', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Text safe inside a table cell: no pipes or newlines breaking the row. */
function cell(text: string): string {
  return html(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function inline(text: string): string {
  return html(text).replace(/\r?\n/g, ' ');
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
