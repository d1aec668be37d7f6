import { PATTERN_IDS, type CheckCategory, type PatternId } from './ids.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** One item of the deployment checklist, as data. `src/verify/checks/<id with . as ->.ts` implements it. */
export interface ChecklistItem {
  /** `<category>.<name>`, stable: reports, baselines and tests use it. */
  readonly id: string;
  readonly category: CheckCategory;
  /** The line of the seed's checklist this item proves. */
  readonly title: string;
  readonly severity: Severity;
  /** Patterns the item applies to; elsewhere it reports n/a. */
  readonly patterns: readonly PatternId[];
}

const ALL = PATTERN_IDS;
const WITH_REPLICAS: readonly PatternId[] = ['gateway', 'load-balanced', 'multi-region', 'serverless'];
const WITH_DEPENDENCIES: readonly PatternId[] = ['multi-server', 'gateway', 'load-balanced', 'multi-region'];

/** The seed's deployment checklist: nineteen items in four categories. */
export const CHECKLIST: readonly ChecklistItem[] = [
  { id: 'pre-deployment.architecture-pattern', category: 'pre-deployment', title: 'Choose architecture pattern based on requirements', severity: 'high', patterns: ALL },
  { id: 'pre-deployment.session-persistence', category: 'pre-deployment', title: 'Plan session persistence strategy', severity: 'high', patterns: ALL },
  { id: 'pre-deployment.health-checks', category: 'pre-deployment', title: 'Configure health checks', severity: 'high', patterns: ALL },
  { id: 'pre-deployment.monitoring-alerting', category: 'pre-deployment', title: 'Set up monitoring and alerting', severity: 'medium', patterns: ALL },
  { id: 'pre-deployment.capacity-scaling', category: 'pre-deployment', title: 'Plan capacity and scaling rules', severity: 'medium', patterns: WITH_REPLICAS },
  { id: 'security.origin-validation', category: 'security', title: 'Origin validation configured', severity: 'critical', patterns: ALL },
  { id: 'security.tls', category: 'security', title: 'TLS/HTTPS enabled', severity: 'critical', patterns: ALL },
  { id: 'security.authentication', category: 'security', title: 'Authentication implemented', severity: 'critical', patterns: ALL },
  { id: 'security.rate-limiting', category: 'security', title: 'Rate limiting configured', severity: 'high', patterns: ALL },
  { id: 'security.input-validation', category: 'security', title: 'Input validation on all tools', severity: 'high', patterns: ALL },
  { id: 'observability.structured-logging', category: 'observability', title: 'Structured logging enabled', severity: 'medium', patterns: ALL },
  { id: 'observability.tracing', category: 'observability', title: 'OpenTelemetry tracing configured', severity: 'medium', patterns: ALL },
  { id: 'observability.metrics', category: 'observability', title: 'Metrics collection set up', severity: 'medium', patterns: ALL },
  { id: 'observability.alerting-rules', category: 'observability', title: 'Alerting rules defined', severity: 'medium', patterns: ALL },
  { id: 'resilience.health-checks', category: 'resilience', title: 'Health checks implemented', severity: 'high', patterns: ALL },
  { id: 'resilience.graceful-shutdown', category: 'resilience', title: 'Graceful shutdown handling', severity: 'high', patterns: ALL },
  { id: 'resilience.connection-retry', category: 'resilience', title: 'Connection retry logic', severity: 'medium', patterns: WITH_DEPENDENCIES },
  { id: 'resilience.circuit-breakers', category: 'resilience', title: 'Circuit breakers for external services', severity: 'medium', patterns: WITH_DEPENDENCIES },
  { id: 'resilience.backup-recovery', category: 'resilience', title: 'Backup/recovery procedures', severity: 'medium', patterns: ALL },
];

export function checklistFor(pattern: PatternId): ChecklistItem[] {
  return CHECKLIST.filter((item) => item.patterns.includes(pattern));
}
