import {
  canRunSeveral,
  PATTERN_REGISTRY,
  patternFor,
  type PatternDefinition,
  type PatternRegistry,
} from '../patterns/index.js';
import { aggregation } from '../components/aggregation.js';
import type { CheckCategory } from './ids.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** How reports and CHECKLIST.md head each category. */
export const CATEGORY_TITLES: Readonly<Record<CheckCategory, string>> = {
  'pre-deployment': 'Pre-deployment',
  protocol: 'Protocol',
  security: 'Security',
  observability: 'Observability',
  resilience: 'Resilience',
};

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
/** Stdio backends are child processes of the server where its backends come from a servers file (the aggregation core). */
const WITH_STDIO_BACKENDS: Applicability = (pattern) => pattern.components.includes(aggregation);

function item(fields: Omit<ChecklistItem, 'appliesTo' | 'patterns'>, appliesTo: Applicability): ChecklistItem {
  return {
    ...fields,
    appliesTo,
    patterns: [...PATTERN_REGISTRY.values()].filter(appliesTo).map((pattern) => pattern.id),
  };
}

/**
 * The seed's deployment checklist (nineteen items in four categories), plus the protocol items
 * that prove the server speaks MCP as its manifest promises, and the items that prove sessions
 * outlive a replica and stdio backend processes end with their sessions.
 */
export const CHECKLIST: readonly ChecklistItem[] = [
  item(
    {
      id: 'pre-deployment.architecture-pattern',
      category: 'pre-deployment',
      title: 'Choose architecture pattern based on requirements',
      severity: 'high',
      proof: (pattern) =>
        `Reads \`mcp-arch.json\` and checks that the files of the ${pattern.title} pattern and of each deploy target are present; in Kubernetes manifests, pinned image tags and a non-root container without privilege escalation; in \`template.yaml\`, a \`nodejs22.x\` or later runtime.`,
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
        'Finds the `/health` and `/ready` routes, the Dockerfile `HEALTHCHECK` and the Kubernetes probes; `--live` probes the endpoints those probes call: `/health` 200, `/ready` 200 or 503 on a path of its own, and a made-up path not 200 (a catch-all would make both meaningless).',
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
      id: 'protocol.eras',
      category: 'protocol',
      title: 'Protocol eras served as the manifest promises',
      severity: 'high',
      proof:
        'Reads `protocol` in `mcp-arch.json` and checks that the `MCP_PROTOCOL` default in `src/config.ts`, `.env.example` and the deployed configuration (Compose, Kubernetes) say the same (nothing setting it fails), and that the sessionful 2025 leg (`SESSION_MODE=stateful`) is only asked of `dual`; `--live` sends `server/discover` with the v2 client pinned to MCP 2026-07-28 (it must be answered), then a 2025-era `initialize` with the v1 client: answered for `dual`, refused with `-32022` for `modern`.',
    },
    ALL,
  ),
  item(
    {
      id: 'protocol.header-validation',
      category: 'protocol',
      title: 'MCP 2026-07-28 routing headers checked against the body',
      severity: 'high',
      proof:
        'Live only. Sends MCP 2026-07-28 requests whose `Mcp-Method`, `Mcp-Name` or `MCP-Protocol-Version` header disagrees with the body, and one without `Mcp-Method`, and expects each refused with HTTP 400 and JSON-RPC error `-32020` (HeaderMismatch), while the same request with matching headers is served: a gateway or load balancer that routes on the headers must see what the server executes.',
    },
    ALL,
  ),
  item(
    {
      id: 'protocol.http-methods',
      category: 'protocol',
      title: 'HTTP methods answered as the transport promises',
      severity: 'medium',
      proof:
        'Live only. MCP 2026-07-28 has no sessions and no standalone stream, so GET and DELETE on the MCP endpoint must answer 405 (a missing `Allow: POST` is a warning) when the server is `modern` or serves the 2025 era statelessly; with the sessionful 2025 leg (`SESSION_MODE=stateful`), GET and DELETE without `Mcp-Session-Id` must answer 400 and with an unknown session id 404. Without a project, only a server that serves 2026-07-28 alone is judged.',
    },
    ALL,
  ),
  item(
    {
      id: 'security.origin-validation',
      category: 'security',
      title: 'Origin validation configured',
      severity: 'critical',
      proof:
        'Finds `ALLOWED_ORIGINS` in `.env.example` and the origin middleware in `src/app.ts`; `--live` sends a foreign `Origin` *with* valid credentials and expects exactly 403, for a tool call in every protocol era the server serves; when that probe passes, what only the source reading found (a middleware moved or renamed) is kept as a warning.',
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
        "Checks that liveness and readiness are different and that readiness can report 503; `--live` proves readiness means the server can serve MCP: when `/ready` answers 200, `tools/list` in a protocol era the server serves must succeed and list at least one tool (and the manifest's `start.slowTool`), and, with an external session store, a second instance pointed at an unreachable store must answer `/ready` 503 while `/health` stays 200.",
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
      id: 'resilience.session-survival',
      category: 'resilience',
      title: 'Sessions survive the loss of a replica',
      severity: 'high',
      proof:
        'Fails statically when the memory store is used by several declared instances. `--live` starts two replicas of the project with its own store behind a load balancer with no cookie affinity (the project\'s `deploy/nginx/nginx.conf` run by nginx on loopback, else a round-robin loopback proxy), opens 2025 sessions (stateful mode) and 2026-07-28 `subscriptions/listen` streams through it, kills the replica that served the most of them with its process group, and counts what survived: a session that still answers `tools/list`, a stream still open or re-opened with its acknowledgement; it reports "n of m sessions survived" and fails unless all did. Against a deployment, `--url` with `--replica <url>` for each replica: one 2025 session must answer on every replica, a DELETE on one must make the others answer 404, and every replica must acknowledge a `subscriptions/listen` stream; nothing is killed.',
    },
    WITH_REPLICAS,
  ),
  item(
    {
      id: 'resilience.stdio-lifecycle',
      category: 'resilience',
      title: 'Stdio backend processes end with their sessions',
      severity: 'medium',
      proof:
        'Reads the servers file for stdio backends (n/a without one), names the process cap of each (`maxSessions`, or the default), and warns when `.env.example` has no `SESSION_IDLE_TIMEOUT_MS`. `--live` starts another instance with `SESSION_IDLE_TIMEOUT_MS=2000`, counts its descendant processes at rest, opens three sessions (2025 where served, else MCP 2026-07-28) that each call a read-only tool of a stdio backend, drops them without DELETE, kills one backend process, and fails, with the counts, unless every process started for them is gone within the idle timeout plus four seconds; it is n/a when the server it starts serves no tool of the stdio backends (another program starts them).',
    },
    WITH_STDIO_BACKENDS,
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
  // Last: verify reports it in its category, but its suite runs beside every other check (protocol.eras starts it).
  item(
    {
      id: 'protocol.conformance',
      category: 'protocol',
      title: 'Official MCP conformance suite passes',
      severity: 'high',
      proof:
        "Live only. When `@modelcontextprotocol/conformance` can be loaded from the project or from create-mcp-arch and Node >= 22 is available, runs its server requirement set for each protocol era the server serves, against an instance verify starts for it without authentication or rate limits (or the `--url` given, when it answers without credentials), beside the other checks and bounded in time, and judges the scenarios any server must pass (those that need none of the suite's reference tools), naming each passed or failed; otherwise it is skipped with the `npm i -D` command that enables it.",
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
