import { createHash } from 'node:crypto';
import { CHECK_CATEGORIES } from '../../core/ids.js';
import type { CheckStatus } from '../check.js';
import { SEVERITIES } from '../formats.js';
import { failUnderLine, overallScore, scoreCoverage, type CheckResult, type VerifyReport } from '../report.js';
import { flowchartSvg, parseFlowchart } from './flowchart.js';
import { credentialsLine, erasLine } from './pretty.js';

export interface HtmlOptions {
  /** The project's Mermaid flowchart (its README's), drawn as the topology; absent, the report says why. */
  diagram?: string;
}

/** Every status in words and a symbol, so it reads without colour (and in print). */
const STATUS_TEXT: Record<CheckStatus, { symbol: string; word: string }> = {
  pass: { symbol: '✔', word: 'PASS' },
  fail: { symbol: '✖', word: 'FAIL' },
  warn: { symbol: '▲', word: 'WARN' },
  skip: { symbol: '○', word: 'SKIP' },
  'n/a': { symbol: '–', word: 'N/A' },
  manual: { symbol: '?', word: 'MANUAL' },
};

/** What needs a person, in this order: failures, warnings, what only a person can confirm. */
const ATTENTION: readonly CheckStatus[] = ['fail', 'warn', 'manual'];

const STYLE = `
:root { color-scheme: light; --fail: #b42318; --pass: #067647; --warn: #b54708; --manual: #6941c6; --muted: #475467; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #101828; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 18px 0 8px; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f2f4f7; padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 2px 0; }
.verdict { display: flex; flex-wrap: wrap; gap: 10px 24px; align-items: baseline; border: 2px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.verdict.failed { border-color: var(--fail); }
.verdict.passed { border-color: var(--pass); }
.verdict strong { font-size: 1.3em; }
.note { margin: 6px 0; padding: 8px 12px; border-left: 4px solid var(--line); background: #f9fafb; }
.note.bad { border-left-color: var(--fail); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { background: #f2f4f7; }
td.num { font-variant-numeric: tabular-nums; }
.check { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; break-inside: avoid; }
.check h4 { display: inline; font-size: 1em; margin: 0 6px 0 0; }
.check .summary { margin: 6px 0 0; }
.check ul { margin: 8px 0 0; padding-left: 20px; }
.check li { margin: 4px 0; }
.fix { color: #344054; }
.where { font-weight: 600; }
.badge { display: inline-block; min-width: 78px; font-weight: 700; font-size: 0.85em; padding: 1px 8px; margin-right: 8px; border-radius: 999px; border: 1.5px solid currentColor; text-align: center; }
.tag { display: inline-block; font-size: 0.82em; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; margin-left: 4px; }
.tag.overridden { color: var(--warn); border-color: var(--warn); }
.status-fail { border-left-color: var(--fail); } .status-fail .badge { color: var(--fail); background: #fef3f2; }
.status-pass { border-left-color: var(--pass); } .status-pass .badge { color: var(--pass); background: #ecfdf3; }
.status-warn { border-left-color: var(--warn); } .status-warn .badge { color: var(--warn); background: #fffaeb; }
.status-manual { border-left-color: var(--manual); } .status-manual .badge { color: var(--manual); background: #f4f3ff; }
.status-skip .badge, .status-na .badge { color: var(--muted); background: #f9fafb; }
.topology { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.flowchart { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
.flowchart .fc-node rect, .flowchart .fc-node path { fill: #eef4ff; stroke: #3e4784; stroke-width: 1.2; }
.flowchart .fc-group rect { fill: #f9fafb; stroke: #98a2b3; stroke-dasharray: 5 3; }
.flowchart .fc-group-title { font-weight: 700; fill: #344054; }
.flowchart .fc-edge { fill: none; stroke: #475467; stroke-width: 1.3; }
.flowchart .fc-dotted { stroke-dasharray: 4 3; }
.flowchart marker path { fill: #475467; }
.flowchart .fc-edge-label rect { fill: #ffffff; stroke: none; opacity: 0.92; }
.flowchart text { fill: #101828; }
details pre { white-space: pre-wrap; font-size: 12px; }
@media print { body { padding: 0; max-width: none; } .check, tr { break-inside: avoid; } * { print-color-adjust: exact; -webkit-print-color-adjust: exact; } details { display: none; } }
`.trim();

/**
 * One self-contained HTML page: no script, no network (a Content-Security-Policy says so), the
 * topology drawn as inline SVG, scores with their coverage, and every check with its status (in
 * words and colour), evidence and fix. Every text from the report is escaped.
 */
export function formatHtml(report: VerifyReport, options: HtmlOptions = {}): string {
  const name = report.project.name;
  const title = `mcp-arch verify: ${name}`;
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  const body = [
    header(report, title),
    attention(report),
    scores(report),
    topology(report, options.diagram),
    otherChecks(report),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${styleHash}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(`${report.tool.name} ${report.tool.version}`)}">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function header(report: VerifyReport, title: string): string {
  const { counts } = report.summary;
  const overall = overallScore(report);
  const gate = failUnderLine(report);
  const failures = counts.fail - (report.baseline?.accepted ?? 0);
  const live = report.mode.live
    ? `Live probes against <code>${esc(report.mode.mcpUrl ?? report.mode.url ?? '?')}</code>${report.mode.started ? ' (started by verify, stopped afterwards)' : ''}${report.mode.reachable === false ? ': could not connect, nothing was probed' : ''}`
    : report.mode.url
      ? `Live probes requested for <code>${esc(report.mode.url)}</code>: no check has a live probe; static checks only`
      : 'Static checks (files and manifests); pass --live to probe a running instance too';
  const totals = (['pass', 'fail', 'warn', 'manual', 'skip', 'n/a'] as const)
    .map((status) => `${counts[status]} ${STATUS_TEXT[status].word.toLowerCase()}`)
    .join(', ');
  const notes: string[] = [];
  if (report.mode.eras) notes.push(`<p class="note">Protocol eras: ${esc(erasLine(report.mode.eras))}</p>`);
  const credentials = credentialsLine(report);
  if (credentials) notes.push(`<p class="note${report.mode.credentials?.given ? ' bad' : ''}">${esc(credentials)}</p>`);
  if (gate) notes.push(`<p class="note${gate.met ? '' : ' bad'}" id="fail-under">${esc(gate.text)}.</p>`);
  if (report.config) notes.push(`<p class="note">Settings from <code>${esc(report.config.file)}</code>.</p>`);
  if (report.baseline && report.baseline.accepted > 0)
    notes.push(
      `<p class="note">${report.baseline.accepted} failure${report.baseline.accepted === 1 ? '' : 's'} accepted by <code>${esc(report.baseline.file)}</code>.</p>`,
    );
  for (const entry of report.baseline?.stale ?? [])
    notes.push(
      `<p class="note bad">✖ Stale baseline entry: ${esc(entry.problem)}. Remove it from <code>${esc(report.baseline?.file ?? '')}</code>.</p>`,
    );
  return `<header>
<h1>${esc(title)}</h1>
<p class="meta">Pattern: <strong>${esc(report.project.pattern ?? 'none (no mcp-arch.json: live probes only)')}</strong> · <code>${esc(report.project.dir)}</code></p>
<p class="meta">${live}</p>
<p class="meta">${esc(report.tool.name)} ${esc(report.tool.version)} · started ${esc(report.startedAt)} · ${report.durationMs} ms</p>
<div class="verdict ${failures > 0 || gate?.met === false ? 'failed' : 'passed'}" id="verdict">
<strong>${failures > 0 ? `✖ ${failures} check${failures === 1 ? '' : 's'} failed` : '✔ No check failed'}</strong>
<span>Overall score: <strong>${overall.score === null ? 'not scored' : `${overall.score}%`}</strong> (${overall.ran} of ${overall.of} checks ran)</span>
<span>${esc(totals)}</span>
</div>
${notes.join('\n')}
</header>`;
}

function attention(report: VerifyReport): string {
  // Failures first, the most severe first; then warnings, then what a person must confirm.
  const bySeverity = (a: CheckResult, b: CheckResult) =>
    SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity);
  const results = ATTENTION.flatMap((status) =>
    report.results.filter((result) => result.status === status).sort(bySeverity),
  );
  if (results.length === 0)
    return '<section id="attention"><h2>Needs attention</h2><p>Nothing failed, warned or needs a person.</p></section>';
  return `<section id="attention">
<h2>Needs attention (${results.length})</h2>
${results.map(check).join('\n')}
</section>`;
}

function scores(report: VerifyReport): string {
  const rows = report.summary.categories.map((entry) => {
    const { ran, of } = scoreCoverage(entry);
    const c = entry.counts;
    return `<tr><th scope="row">${esc(entry.category)}</th><td class="num">${entry.score === null ? 'not scored' : `${entry.score}%`}</td><td class="num">${ran} of ${of} ran</td><td class="num">${c.pass}</td><td class="num">${c.fail}</td><td class="num">${c.warn}</td><td class="num">${c.manual}</td><td class="num">${c.skip}</td><td class="num">${c['n/a']}</td></tr>`;
  });
  const overall = overallScore(report);
  const total = report.summary.counts;
  rows.push(
    `<tr><th scope="row">overall</th><td class="num"><strong>${overall.score === null ? 'not scored' : `${overall.score}%`}</strong></td><td class="num">${overall.ran} of ${overall.of} ran</td><td class="num">${total.pass}</td><td class="num">${total.fail}</td><td class="num">${total.warn}</td><td class="num">${total.manual}</td><td class="num">${total.skip}</td><td class="num">${total['n/a']}</td></tr>`,
  );
  return `<section id="scores">
<h2>Scores</h2>
<p class="meta">pass counts fully, warn half, fail nothing; skip, n/a and manual are left out. Coverage: checks that produced a verdict, of those that apply.</p>
<table>
<thead><tr><th scope="col">Category</th><th scope="col">Score</th><th scope="col">Coverage</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Warn</th><th scope="col">Manual</th><th scope="col">Skip</th><th scope="col">N/A</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function topology(report: VerifyReport, diagram: string | undefined): string {
  if (!diagram) {
    const why = report.project.pattern
      ? `This version cannot draw the ${report.project.pattern} pattern's topology.`
      : 'No mcp-arch.json: the topology of the server probed is unknown.';
    return `<section id="topology"><h2>Topology</h2><p>${esc(why)}</p></section>`;
  }
  const caption = `Topology of ${report.project.name} (${report.project.pattern ?? 'unknown pattern'})`;
  return `<section id="topology">
<h2>Topology</h2>
<div class="topology">${flowchartSvg(parseFlowchart(diagram), esc, caption)}</div>
<details><summary>The diagram as Mermaid (as in the project's README)</summary><pre>${esc(diagram)}</pre></details>
</section>`;
}

function otherChecks(report: VerifyReport): string {
  const sections = CHECK_CATEGORIES.flatMap((category) => {
    const results = report.results.filter(
      (result) => result.category === category && !ATTENTION.includes(result.status),
    );
    return results.length === 0 ? [] : [`<h3>${esc(category)}</h3>\n${results.map(check).join('\n')}`];
  });
  return `<section id="checks">
<h2>Passed, skipped and not applicable</h2>
${sections.length > 0 ? sections.join('\n') : '<p>None.</p>'}
</section>`;
}

function check(result: CheckResult): string {
  const status = STATUS_TEXT[result.status];
  const tags = [
    result.severityOverride
      ? `<span class="tag overridden">severity ${esc(result.severity)} (overridden by ${esc(result.severityOverride.file)}; checklist: ${esc(result.severityOverride.from)})</span>`
      : `<span class="tag">severity ${esc(result.severity)}</span>`,
    ...(result.accepted ? [`<span class="tag">accepted (baseline): ${esc(result.accepted.reason)}</span>`] : []),
    ...(result.off ? [`<span class="tag">off in ${esc(result.off.file)}</span>`] : []),
  ];
  const findings = result.findings.map((finding) => {
    const where = finding.file
      ? `<span class="where"><code>${esc(finding.file)}${finding.line ? `:${finding.line}` : ''}</code></span> `
      : '';
    return `<li>${where}${esc(finding.message)}<div class="fix"><strong>Fix:</strong> ${esc(finding.remediation)}</div></li>`;
  });
  return `<article class="check status-${result.status === 'n/a' ? 'na' : result.status}" id="${esc(`check-${result.id}`)}" data-status="${esc(result.status)}">
<div><span class="badge">${status.symbol} ${status.word}</span><h4>${esc(result.title)}</h4><code>${esc(result.id)}</code>${tags.join('')}</div>
<p class="summary">${esc(result.summary)}</p>${findings.length > 0 ? `\n<ul class="findings">${findings.join('')}</ul>` : ''}
</article>`;
}

/** Text safe in HTML content and in double- or single-quoted attributes. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
