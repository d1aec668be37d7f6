import {
  canRunSeveral,
  PATTERN_REGISTRY,
  patternFor,
  type PatternDefinition,
  type PatternRegistry,
} from '../patterns/index.js';
import type { CheckCategory } from './ids.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/**
 * One item of the deployment checklist, as data: what it is, where it applies and how `verify`
 * proves it. `src/verify/checks/<id with . as ->.ts` implements it. This module is the leaf both
 * the generator (CHECKLIST.md, `checks` in mcp-arch.json) and verify read, so generating a
 * project never loads verify's code.
 */
export interface ChecklistItem {
  /** `<category>.<name>`, stable: reports, baselines and tests use it. */
  readonly id: string;
  readonly category: CheckCategory;
  /** The line of the seed's checklist this item proves. */
  readonly title: string;
  readonly severity: Severity;
  /** Whether the item applies to a pattern; elsewhere it reports n/a. */
  readonly appliesTo: (pattern: PatternDefinition) => boolean;
  /** Ids of the built-in patterns it applies to (derived from `appliesTo`). */
  readonly patterns: readonly string[];
  /**
   * How `verify` proves the item, one Markdown paragraph for a project's CHECKLIST.md: what the
   * static part reads and what the live part (`--live`) probes. Kept true to the check's code.
   */
  readonly proof: string | ((pattern: PatternDefinition) => string);
}

type Applicability = ChecklistItem['appliesTo'];
const ALL: Applicability = () => true;
/** Capacity and scaling rules matter where several instances can run. */
const WITH_REPLICAS: Applicability = canRunSeveral;
/** Retries and breakers matter where the server calls out to backends or a shared store. */
const WITH_DEPENDENCIES: Applicability = (pattern) => pattern.hasDependencies;

function item(fields: Omit<ChecklistItem, 'appliesTo' | 'patterns'>, appliesTo: Applicability): ChecklistItem {
  return {
    ...fields,
    appliesTo,
    patterns: [...PATTERN_REGISTRY.values()].filter(appliesTo).map((pattern) => pattern.id),
  };
}

/** The seed's deployment checklist: nineteen items in four categories. */
export const CHECKLIST: readonly ChecklistItem[] = [
  item(
    {
      id: 'pre-deployment.architecture-pattern',
      category: 'pre-deployment',
      title: 'Choose architecture pattern based on requirements',
      severity: 'high',
      proof: (pattern) =>
        `Reads \`mcp-arch.json\` and checks that the files of the ${pattern.title} pattern and of each deploy target are present; in Kubernetes manifests, pinned image tags and a non-root container without privilege escalation; in \`template.yaml\`, a \`nodejs22.x\` or later runtime. \`--live\` finds out which protocol eras the server serves (\`server/discover\` with the v2 client for MCP 2026-07-28, then \`initialize\` with the v1 client for the 2025 era) and expects what the manifest's \`protocol\` promises: both eras for \`dual\`, 2026-07-28 alone for \`modern\`.`,
    },
    ALL,
  ),
  item(
    {
      id: 'pre-deployment.session-persistence',
      category: 'pre-deployment',
      title: 'Plan session persistence strategy',
      severity: 'high',
      proof:
        'Compares the session store and `SESSION_MODE` with the number of instances the manifests run: in-memory sessions are only accepted for one instance.',
    },
    ALL,
  ),
  item(
    {
      id: 'pre-deployment.health-checks',
      category: 'pre-deployment',
      title: 'Configure health checks',
      severity: 'high',
      proof:
        'Finds the `/health` and `/ready` routes, the Dockerfile `HEALTHCHECK` and the Kubernetes probes; `--live` probes both endpoints and, with an external session store, starts a second instance pointed at an unreachable store and expects `/ready` 503 while `/health` stays 200.',
    },
    ALL,
  ),
  item(
    {
      id: 'pre-deployment.monitoring-alerting',
      category: 'pre-deployment',
      title: 'Set up monitoring and alerting',
      severity: 'medium',
      proof: 'Finds the `/metrics` route and the rules in `monitoring/alerts.yml`.',
    },
    ALL,
  ),
  item(
    {
      id: 'pre-deployment.capacity-scaling',
      category: 'pre-deployment',
      title: 'Plan capacity and scaling rules',
      severity: 'medium',
      proof:
        'Reads the manifests: resource requests set, the autoscaler targets the Deployment, the disruption budget is below the replica count; in `template.yaml`, a function `Timeout` above `REQUEST_TIMEOUT_MS`.',
    },
    WITH_REPLICAS,
  ),
  item(
    {
      id: 'security.origin-validation',
      category: 'security',
      title: 'Origin validation configured',
      severity: 'critical',
      proof:
        'Finds `ALLOWED_ORIGINS` in `.env.example` and the origin middleware in `src/app.ts`; `--live` sends a foreign `Origin` *with* valid credentials and expects exactly 403, for a tool call in every protocol era the server serves.',
    },
    ALL,
  ),
  item(
    {
      id: 'security.tls',
      category: 'security',
      title: 'TLS/HTTPS enabled',
      severity: 'critical',
      proof:
        'Looks for TLS on the ingress or platform endpoint, and a NetworkPolicy so pods cannot be reached around the Ingress; on plain localhost it reports n/a, never a pass. Run `--live --url https://…` against the public address.',
    },
    ALL,
  ),
  item(
    {
      id: 'security.authentication',
      category: 'security',
      title: 'Authentication implemented',
      severity: 'critical',
      proof:
        'Finds `AUTH_MODE` (not `none`) in `.env.example`, the auth middleware on `/mcp` and issuer/audience checks on JWTs, and no literal secret in `template.yaml`; `--live` expects 401 with `WWW-Authenticate` on POST, GET and DELETE and, with `AUTH_MODE=jwt`, for a correctly signed token of another audience (verify serves the JWKS).',
    },
    ALL,
  ),
  item(
    {
      id: 'security.rate-limiting',
      category: 'security',
      title: 'Rate limiting configured',
      severity: 'high',
      proof:
        'Finds `RATE_LIMIT_RPS` in `.env.example` and the rate-limit middleware; `--live` expects 429 with `Retry-After`, also while rotating `X-Forwarded-For`. Serverless templates must throttle at the API or reserve concurrency.',
    },
    ALL,
  ),
  item(
    {
      id: 'security.input-validation',
      category: 'security',
      title: 'Input validation on all tools',
      severity: 'high',
      proof:
        "Finds the body-limit middleware and a zod `inputSchema` on every tool; `--live` sends invalid arguments in every protocol era the server serves, each through that era's client (expects a JSON-RPC or tool error, no 500, no stack trace), and an oversized body (expects 413).",
    },
    ALL,
  ),
  item(
    {
      id: 'observability.structured-logging',
      category: 'observability',
      title: 'Structured logging enabled',
      severity: 'medium',
      proof:
        'Finds the pino logger with redaction and the request-id middleware (and log retention in `template.yaml`); `--live` reads everything the server printed: every line JSON, request lines with a request id, and neither the API key nor a canary token sent as a credential, cookie and tool argument.',
    },
    ALL,
  ),
  item(
    {
      id: 'observability.tracing',
      category: 'observability',
      title: 'OpenTelemetry tracing configured',
      severity: 'medium',
      proof:
        "Finds the OTLP exporter, loaded when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and `traceparent` extraction; `--live` points the server at an OTLP receiver on loopback and expects a span that continues the sent `traceparent` header in every protocol era the server serves, and, in MCP 2026-07-28, a tool span that continues a `traceparent` sent only in the request's `_meta`.",
    },
    ALL,
  ),
  item(
    {
      id: 'observability.metrics',
      category: 'observability',
      title: 'Metrics collection set up',
      severity: 'medium',
      proof:
        'Finds `/metrics` and the metric names registered in `src/observability/metrics.ts`; `--live` checks that counters move under traffic.',
    },
    ALL,
  ),
  item(
    {
      id: 'observability.alerting-rules',
      category: 'observability',
      title: 'Alerting rules defined',
      severity: 'medium',
      proof:
        'Parses `monitoring/alerts.yml` (and any Kubernetes `PrometheusRule`) and checks that every expression reads only metrics the app emits (and `up`).',
    },
    ALL,
  ),
  item(
    {
      id: 'resilience.health-checks',
      category: 'resilience',
      title: 'Health checks implemented',
      severity: 'high',
      proof:
        'Checks that liveness and readiness are different and that readiness can report 503; `--live` probes both.',
    },
    ALL,
  ),
  item(
    {
      id: 'resilience.graceful-shutdown',
      category: 'resilience',
      title: 'Graceful shutdown handling',
      severity: 'high',
      proof:
        'Finds the SIGTERM handler in `src/index.ts` and the drain in `src/lifecycle/shutdown.ts`; `--live` starts an instance, sends SIGTERM during a slow tool call (`start.slowTool` in `mcp-arch.json`) and expects the call to complete and the process to exit 0.',
    },
    ALL,
  ),
  item(
    {
      id: 'resilience.connection-retry',
      category: 'resilience',
      title: 'Connection retry logic',
      severity: 'medium',
      proof: 'Finds retries with jittered, capped backoff that never retry a 4xx.',
    },
    WITH_DEPENDENCIES,
  ),
  item(
    {
      id: 'resilience.circuit-breakers',
      category: 'resilience',
      title: 'Circuit breakers for external services',
      severity: 'medium',
      proof: 'Finds circuit breakers around every dependency: fast failure, no calls while open, half-open recovery.',
    },
    WITH_DEPENDENCIES,
  ),
  item(
    {
      id: 'resilience.backup-recovery',
      category: 'resilience',
      title: 'Backup/recovery procedures',
      severity: 'medium',
      proof: 'Always reported as *manual*: a person confirms the procedure below is complete and rehearsed.',
    },
    ALL,
  ),
];

/** The item's CHECKLIST.md paragraph for a project of `pattern`. */
export function proofOf(item: ChecklistItem, pattern: PatternDefinition): string {
  return typeof item.proof === 'string' ? item.proof : item.proof(pattern);
}

/** The checklist items that apply to a pattern, given by id (looked up in `registry`) or by definition. */
export function checklistFor(
  pattern: string | PatternDefinition,
  registry: PatternRegistry = PATTERN_REGISTRY,
): ChecklistItem[] {
  const definition = typeof pattern === 'string' ? patternFor(pattern, registry) : pattern;
  return CHECKLIST.filter((entry) => entry.appliesTo(definition));
}
