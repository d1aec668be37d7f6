import { CHECKLIST, type Severity } from '../../core/checklist.js';
import { failUnderLine, type VerifyReport } from '../report.js';
import { credentialsLine } from './pretty.js';

/**
 * SARIF 2.1.0 for code scanning: one rule per checklist item, one result per static finding
 * that points at a file (`fail` as error, `warn` as warning). Paths are relative to the
 * project root (`%SRCROOT%`).
 */
export function formatSarif(report: VerifyReport): string {
  const ids = new Set(report.results.map((result) => result.id));
  const items = CHECKLIST.filter((item) => ids.has(item.id));
  const ruleIndex = new Map(items.map((item, index) => [item.id, index]));
  const results = report.results.flatMap((result) => {
    if (result.status !== 'fail' && result.status !== 'warn') return [];
    return result.findings
      .filter((finding) => finding.file)
      .map((finding) => ({
        ruleId: result.id,
        ruleIndex: ruleIndex.get(result.id) ?? 0,
        level: result.status === 'fail' ? 'error' : 'warning',
        message: { text: `${finding.message}. Fix: ${finding.remediation}` },
        ...(result.severityOverride
          ? {
              properties: {
                severity: result.severity,
                severityOverriddenFrom: result.severityOverride.from,
                severityOverriddenBy: result.severityOverride.file,
              },
            }
          : {}),
        // Code scanning shows accepted failures as dismissed, with the team's reason.
        ...(result.accepted
          ? { suppressions: [{ kind: 'external', status: 'accepted', justification: result.accepted.reason }] }
          : {}),
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: encodeURI(finding.file as string), uriBaseId: '%SRCROOT%' },
              ...(finding.line ? { region: { startLine: finding.line } } : {}),
            },
          },
        ],
      }));
  });
  const gate = failUnderLine(report);
  const notifications = [
    ...(credentialsLine(report)
      ? [{ level: report.mode.credentials?.given ? 'error' : 'warning', message: { text: credentialsLine(report) } }]
      : []),
    ...(gate ? [{ level: gate.met ? 'note' : 'error', message: { text: gate.text } }] : []),
  ];
  const overrides = report.results.flatMap(
    (result): { descriptor: { id: string; index: number }; configuration: Record<string, unknown> }[] => {
      const index = ruleIndex.get(result.id);
      if (index === undefined) return [];
      const descriptor = { id: result.id, index };
      if (result.off)
        return [
          {
            descriptor,
            configuration: { enabled: false, properties: { off: result.off.reason, file: result.off.file } },
          },
        ];
      if (result.severityOverride)
        return [
          {
            descriptor,
            configuration: {
              level: levelOf(result.severity),
              properties: {
                severity: result.severity,
                severityOverriddenFrom: result.severityOverride.from,
                file: result.severityOverride.file,
              },
            },
          },
        ];
      return [];
    },
  );
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mcp-arch verify',
            semanticVersion: report.tool.version,
            version: report.tool.version,
            rules: items.map((item) => ({
              id: item.id,
              name: item.id.replace(/[.-](\w)/g, (_, letter: string) => letter.toUpperCase()),
              shortDescription: { text: item.title },
              fullDescription: { text: `Deployment checklist (${item.category}): ${item.title}.` },
              defaultConfiguration: { level: levelOf(item.severity) },
              properties: { category: item.category, severity: item.severity, tags: ['mcp', item.category] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileUri(report.project.dir)}/` } },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: report.startedAt,
            ...(report.mode.eras ? { properties: { protocolEras: report.mode.eras } } : {}),
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
            // What the verify config file changed: other severities (as levels) and checks turned off.
            ...(overrides.length > 0 ? { ruleConfigurationOverrides: overrides } : {}),
          },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** A rule's level for a severity: critical and high are errors, the rest warnings. */
function levelOf(severity: Severity): 'error' | 'warning' {
  return severity === 'critical' || severity === 'high' ? 'error' : 'warning';
}

function pathToFileUri(dir: string): string {
  const posix = dir.replace(/\\/g, '/');
  return `file://${posix.startsWith('/') ? '' : '/'}${encodeURI(posix)}`.replace(/\/$/, '');
}
