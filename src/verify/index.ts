import type { VerifyReport } from './report.js';
import { formatJson } from './reporters/json.js';
import { formatHtml } from './reporters/html.js';
import { formatJunit } from './reporters/junit.js';
import { formatMarkdown } from './reporters/markdown.js';
import { formatPretty } from './reporters/pretty.js';
import { formatSarif } from './reporters/sarif.js';

export {
  CHECK_STATUSES,
  type Check,
  type CheckOutcome,
  type CheckStatus,
  type Finding,
  type LiveContext,
  type StaticContext,
} from './check.js';
export { CHECKS } from './checks/index.js';
export { loadManifest, parseManifest } from './readers/manifest.js';
export {
  applyBaseline,
  BASELINE_FILE,
  loadBaseline,
  parseBaseline,
  resolveBaseline,
  type Baseline,
  type BaselineEntry,
} from './baseline.js';
export {
  applyVerifyConfig,
  checksOff,
  loadVerifyConfig,
  parseVerifyConfig,
  resolveVerifyConfig,
  VERIFY_CONFIG_FILE,
  type CheckSetting,
  type VerifyConfig,
} from './config.js';
export {
  applyFailUnder,
  overallScore,
  REPORT_SCHEMA_VERSION,
  type BaselineSummary,
  type FailUnderVerdict,
  type CategoryScore,
  type CheckResult,
  type VerifyReport,
} from './report.js';
export { exitCodeFor, verify, type ExitCodeOptions, type VerifyOptions } from './run.js';
export { parseVerifyOptions, VERIFY_SUITES, type VerifyRequest, type VerifyTarget } from './options.js';

import type { ReportFormat } from './formats.js';

export { REPORT_FORMATS, type ReportFormat } from './formats.js';

/** How `formatReport` renders, beyond the report itself. */
export interface FormatOptions {
  /** Only affects `pretty`; the caller decides it (TTY, NO_COLOR, FORCE_COLOR). */
  color?: boolean;
  /** The project's Mermaid flowchart (`projectMermaid` in `topology.ts`), drawn by `html`. */
  diagram?: string;
}

/** Renders a report in one of the formats of `--format`. */
export function formatReport(
  report: VerifyReport,
  format: ReportFormat,
  { color = false, diagram }: FormatOptions = {},
): string {
  switch (format) {
    case 'pretty':
      return formatPretty(report, { color });
    case 'json':
      return formatJson(report);
    case 'junit':
      return formatJunit(report);
    case 'markdown':
      return formatMarkdown(report);
    case 'sarif':
      return formatSarif(report);
    case 'html':
      return formatHtml(report, diagram === undefined ? {} : { diagram });
  }
}
