/** Output formats of `mcp-arch verify --format`. Its own module so the CLI can list them without loading the checks. */
export const REPORT_FORMATS = ['pretty', 'json', 'junit', 'markdown', 'sarif'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
