import type { VerifyReport } from '../../src/verify/report.js';

/** A report with every status and text that needs escaping, for reporter tests. */
export function sampleReport(): VerifyReport {
  return {
    schemaVersion: 1,
    tool: { name: 'create-mcp-arch', version: '0.1.0' },
    project: { dir: '/tmp/my app', name: 'my-app', pattern: 'single' },
    mode: { static: true, live: false },
    startedAt: '2025-01-02T03:04:05.678Z',
    durationMs: 42,
    results: [
      {
        id: 'pre-deployment.architecture-pattern',
        category: 'pre-deployment',
        title: 'Choose architecture pattern based on requirements',
        severity: 'high',
        status: 'pass',
        summary: 'Single server deployed with docker: the artifacts match the pattern',
        findings: [],
        durationMs: 3,
      },
      {
        id: 'pre-deployment.capacity-scaling',
        category: 'pre-deployment',
        title: 'Plan capacity and scaling rules',
        severity: 'medium',
        status: 'n/a',
        summary: 'Does not apply to the single pattern',
        findings: [],
        durationMs: 0,
      },
      {
        id: 'security.origin-validation',
        category: 'security',
        title: 'Origin validation configured',
        severity: 'critical',
        status: 'fail',
        summary: 'ALLOWED_ORIGINS is <*> & "anything" | goes',
        findings: [
          {
            message: 'ALLOWED_ORIGINS in .env.example allows any origin (*) & <script>',
            file: '.env.example',
            line: 7,
            remediation: "List the exact origins in ALLOWED_ORIGINS in .env.example ('quoted').",
          },
          { message: 'No Host header validation', remediation: 'Validate the Host header in src/app.ts.' },
        ],
        durationMs: 5,
      },
      {
        id: 'security.tls',
        category: 'security',
        title: 'TLS/HTTPS enabled',
        severity: 'critical',
        status: 'n/a',
        summary: 'Plain HTTP for local use: TLS cannot be proven from files',
        findings: [],
        durationMs: 1,
      },
      {
        id: 'security.rate-limiting',
        category: 'security',
        title: 'Rate limiting configured',
        severity: 'high',
        status: 'warn',
        summary: 'Rate limiting wired; limits are per replica',
        findings: [
          {
            message: 'Limits are kept in memory \u0001 while several instances run',
            file: 'src/middleware/rate-limit.ts',
            line: 12,
            remediation: 'Keep counters in the shared store.',
          },
        ],
        durationMs: 2,
      },
      {
        id: 'observability.tracing',
        category: 'observability',
        title: 'OpenTelemetry tracing configured',
        severity: 'medium',
        status: 'skip',
        summary: 'Could not run: cannot read src/observability/tracing.ts: EACCES',
        findings: [],
        durationMs: 1,
      },
      {
        id: 'resilience.backup-recovery',
        category: 'resilience',
        title: 'Backup/recovery procedures',
        severity: 'medium',
        status: 'manual',
        summary: 'A person must confirm backups are documented',
        findings: [
          {
            message: 'Document that a restart ends every session',
            file: 'CHECKLIST.md',
            remediation: 'Write the procedure in CHECKLIST.md.',
          },
        ],
        durationMs: 0,
      },
    ],
    summary: {
      total: 7,
      counts: { pass: 1, fail: 1, warn: 1, skip: 1, 'n/a': 2, manual: 1 },
      categories: [
        { category: 'pre-deployment', counts: { pass: 1, fail: 0, warn: 0, skip: 0, 'n/a': 1, manual: 0 }, score: 100 },
        { category: 'security', counts: { pass: 0, fail: 1, warn: 1, skip: 0, 'n/a': 1, manual: 0 }, score: 25 },
        { category: 'observability', counts: { pass: 0, fail: 0, warn: 0, skip: 1, 'n/a': 0, manual: 0 }, score: null },
        { category: 'resilience', counts: { pass: 0, fail: 0, warn: 0, skip: 0, 'n/a': 0, manual: 1 }, score: null },
      ],
    },
  };
}
