import type { VerifyReport } from './report.js';
import { formatJson } from './reporters/json.js';
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
  REPORT_SCHEMA_VERSION,
  type BaselineSummary,
  type CategoryScore,
  type CheckResult,
  type VerifyReport,
} from './report.js';
export { exitCodeFor, verify, type ExitCodeOptions, type VerifyOptions } from './run.js';
export { parseVerifyOptions, VERIFY_SUITES, type VerifyRequest, type VerifyTarget } from './options.js';

import type { ReportFormat } from './formats.js';

export { REPORT_FORMATS, type ReportFormat } from './formats.js';

/** Renders a report. `color` only affects `pretty`; the caller decides it (TTY, NO_COLOR, FORCE_COLOR). */
export function formatReport(
  report: VerifyReport,
  format: ReportFormat,
  { color = false }: { color?: boolean } = {},
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
  }
}
