import type { Check } from '../check.js';
import { observabilityAlertingRules } from './observability-alerting-rules.js';
import { observabilityMetrics } from './observability-metrics.js';
import { observabilityStructuredLogging } from './observability-structured-logging.js';
import { observabilityTracing } from './observability-tracing.js';
import { preDeploymentArchitecturePattern } from './pre-deployment-architecture-pattern.js';
import { preDeploymentCapacityScaling } from './pre-deployment-capacity-scaling.js';
import { preDeploymentHealthChecks } from './pre-deployment-health-checks.js';
import { preDeploymentMonitoringAlerting } from './pre-deployment-monitoring-alerting.js';
import { preDeploymentSessionPersistence } from './pre-deployment-session-persistence.js';
import { protocolConformance } from './protocol-conformance.js';
import { protocolEras } from './protocol-eras.js';
import { protocolHeaderValidation } from './protocol-header-validation.js';
import { protocolHttpMethods } from './protocol-http-methods.js';
import { resilienceBackupRecovery } from './resilience-backup-recovery.js';
import { resilienceCircuitBreakers } from './resilience-circuit-breakers.js';
import { resilienceConnectionRetry } from './resilience-connection-retry.js';
import { resilienceGracefulShutdown } from './resilience-graceful-shutdown.js';
import { resilienceHealthChecks } from './resilience-health-checks.js';
import { resilienceSessionSurvival } from './resilience-session-survival.js';
import { resilienceStdioLifecycle } from './resilience-stdio-lifecycle.js';
import { securityAuthentication } from './security-authentication.js';
import { securityInputValidation } from './security-input-validation.js';
import { securityOriginValidation } from './security-origin-validation.js';
import { securityRateLimiting } from './security-rate-limiting.js';
import { securityTls } from './security-tls.js';

/** Every check, one per checklist item; the runner orders results by the checklist, not by this list. */
export const CHECKS: readonly Check[] = [
  preDeploymentArchitecturePattern,
  preDeploymentSessionPersistence,
  preDeploymentHealthChecks,
  preDeploymentMonitoringAlerting,
  preDeploymentCapacityScaling,
  protocolEras,
  protocolHeaderValidation,
  protocolHttpMethods,
  protocolConformance,
  securityOriginValidation,
  securityTls,
  securityAuthentication,
  securityRateLimiting,
  securityInputValidation,
  observabilityStructuredLogging,
  observabilityTracing,
  observabilityMetrics,
  observabilityAlertingRules,
  resilienceHealthChecks,
  resilienceGracefulShutdown,
  resilienceConnectionRetry,
  resilienceCircuitBreakers,
  resilienceSessionSurvival,
  resilienceStdioLifecycle,
  resilienceBackupRecovery,
];
