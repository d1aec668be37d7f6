import type { VerifyReport } from '../report.js';

/** The report as versioned JSON (`schemaVersion`), for tools and CI. */
export function formatJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
