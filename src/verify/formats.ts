import type { Severity } from '../core/checklist.js';

/** Output formats of `mcp-arch verify --format`. Its own module so the CLI can list these names without loading the checks. */
export const REPORT_FORMATS = ['pretty', 'json', 'junit', 'markdown', 'sarif', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Severities of checklist items, least severe first: `--fail-on` and the verify config file take them. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];

/** The verify config file read from the project root when `--config` is not given and the file exists. */
export const VERIFY_CONFIG_FILE = 'mcp-arch.verify.json';
