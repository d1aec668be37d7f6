import { CHECK_CATEGORIES } from '../../core/ids.js';
import type { CheckResult, VerifyReport } from '../report.js';
import { failUnderLine } from '../report.js';
import { credentialsLine, erasLine } from './pretty.js';

/**
 * JUnit XML: one testsuite per category, one testcase per check. `fail` is a failure;
 * `skip`, `n/a` and `manual` are skipped (with the reason); `warn` passes with the warning in system-out.
 */
export function formatJunit(report: VerifyReport): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const suites: string[] = [];
  for (const category of CHECK_CATEGORIES) {
    const results = report.results.filter((result) => result.category === category);
    if (results.length === 0) continue;
    const failures = results.filter((result) => result.status === 'fail' && !result.accepted).length;
    const skipped = results.filter((result) => isSkipped(result) || result.accepted).length;
    const time = results.reduce((sum, result) => sum + result.durationMs, 0);
    suites.push(
      `  <testsuite name="${xml(category)}" tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(time)}" timestamp="${xml(report.startedAt.replace(/\.\d+Z$/, ''))}">`,
      ...results.map((result) => testcase(result, seconds)),
      '  </testsuite>',
    );
  }
  const stale = report.baseline?.stale ?? [];
  if (stale.length > 0) {
    suites.push(
      `  <testsuite name="baseline" tests="${stale.length}" failures="${stale.length}" errors="0" skipped="0" time="0.000">`,
      ...stale.map(
        (entry) =>
          `    <testcase classname="mcp-arch.baseline" name="${xml(`stale entry ${entry.check}`)}" time="0.000">\n      <failure message="${xml(`${entry.problem}. Remove it from ${report.baseline?.file ?? 'the baseline'}.`)}" type="stale-baseline"/>\n    </testcase>`,
      ),
      '  </testsuite>',
    );
  }
  // Credentials given and refused fail the run: CI shows it as a failing test of its own.
  const refused = report.mode.credentials?.given && report.mode.credentials.refused ? 1 : 0;
  if (refused) {
    suites.push(
      '  <testsuite name="credentials" tests="1" failures="1" errors="0" skipped="0" time="0.000">',
      `    <testcase classname="mcp-arch.credentials" name="credentials accepted" time="0.000">\n      <failure message="${xml(credentialsLine(report) ?? '')}" type="credentials-refused"/>\n    </testcase>`,
      '  </testsuite>',
    );
  }
  // The score threshold is a test of its own: CI shows why the run failed it.
  const gate = failUnderLine(report);
  const below = gate && !gate.met ? 1 : 0;
  if (gate) {
    suites.push(
      `  <testsuite name="score" tests="1" failures="${below}" errors="0" skipped="0" time="0.000">`,
      `    <testcase classname="mcp-arch.score" name="${xml(`overall score at least ${report.failUnder?.threshold ?? ''}`)}" time="0.000">${below ? `\n      <failure message="${xml(gate.text)}" type="fail-under"/>` : `\n      <system-out>${xml(gate.text)}</system-out>`}\n    </testcase>`,
      '  </testsuite>',
    );
  }
  const { counts, total } = report.summary;
  const accepted = report.baseline?.accepted ?? 0;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(`mcp-arch verify ${report.project.name}`)}" tests="${total + stale.length + refused + (gate ? 1 : 0)}" failures="${counts.fail - accepted + stale.length + refused + below}" errors="0" skipped="${counts.skip + counts['n/a'] + counts.manual + accepted}" time="${seconds(report.durationMs)}">`,
    ...(report.mode.eras ? [`  <!-- protocol eras: ${xml(erasLine(report.mode.eras)).replace(/--/g, '- -')} -->`] : []),
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(result: CheckResult, seconds: (ms: number) => string): string {
  const open = `    <testcase classname="${xml(`mcp-arch.${result.category}`)}" name="${xml(`${result.id}: ${result.title}`)}" time="${seconds(result.durationMs)}"`;
  const details = result.findings
    .map(
      (finding) =>
        `${finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ''}: ` : ''}${finding.message}\nfix: ${finding.remediation}`,
    )
    .join('\n\n');
  const children: string[] = [];
  // A severity the config file overrides, or a check it turns off, is said in properties.
  const properties = [
    ...(result.severityOverride
      ? [
          ['severity', result.severity],
          ['severity.overridden-from', result.severityOverride.from],
          ['severity.overridden-by', result.severityOverride.file],
        ]
      : []),
    ...(result.off ? [['off', `${result.off.reason} (${result.off.file})`]] : []),
  ];
  if (properties.length > 0)
    children.push(
      `<properties>${properties.map(([name, value]) => `<property name="${xml(name ?? '')}" value="${xml(value ?? '')}"/>`).join('')}</properties>`,
    );
  if (result.status === 'fail' && result.accepted) {
    children.push(
      `<skipped message="${xml(`accepted in the baseline: ${result.accepted.reason}`)}"/>`,
      `<system-out>${xml(`${result.summary}\n\n${details}`)}</system-out>`,
    );
  } else if (result.status === 'fail') {
    children.push(`<failure message="${xml(result.summary)}" type="${xml(result.severity)}">${xml(details)}</failure>`);
  } else if (isSkipped(result)) {
    children.push(`<skipped message="${xml(`${result.status}: ${result.summary}`)}"/>`);
    if (details) children.push(`<system-out>${xml(details)}</system-out>`);
  } else if (result.status === 'warn') {
    children.push(`<system-out>${xml(`warning: ${result.summary}\n\n${details}`)}</system-out>`);
  }
  if (children.length === 0) return `${open}/>`;
  return `${open}>\n${children.map((child) => `      ${child}`).join('\n')}\n    </testcase>`;
}

function isSkipped(result: CheckResult): boolean {
  return result.status === 'skip' || result.status === 'n/a' || result.status === 'manual';
}

/** Escapes text for XML attributes and content, dropping characters XML 1.0 cannot carry. */
export function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
