import { Counter, Gauge, Histogram } from 'prom-client';
import type { BackendStatus, BreakerState, CallEvent } from '../aggregate/index.js';
import type { Metrics } from '../observability/metrics.js';

/** Metrics the gateway adds to the app's registry; `monitoring/alerts.yml` may reference these. */
export const GATEWAY_METRIC_NAMES = {
  backendRequests: 'mcp_backend_requests_total',
  backendDuration: 'mcp_backend_request_duration_seconds',
  backendBreaker: 'mcp_backend_circuit_breaker_state',
  backendUp: 'mcp_backend_up',
  backendSessions: 'mcp_backend_sessions',
} as const;

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface GatewayMetrics {
  onCall(event: CallEvent): void;
  onStateChange(status: BackendStatus, breaker: BreakerState): void;
  /** Where the backend sessions held for client sessions are counted (read at each scrape). */
  observeSessions(counts: () => Record<string, number>): void;
}

export function createGatewayMetrics({ registry }: Pick<Metrics, 'registry'>, backends: string[]): GatewayMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: GATEWAY_METRIC_NAMES.backendRequests,
    help: 'Requests to backends by backend, operation and outcome (success, error, timeout, unavailable, cancelled)',
    labelNames: ['backend', 'operation', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: GATEWAY_METRIC_NAMES.backendDuration,
    help: 'Duration of requests to backends by backend and operation, in seconds',
    labelNames: ['backend', 'operation'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const breaker = new Gauge({
    name: GATEWAY_METRIC_NAMES.backendBreaker,
    help: 'Circuit breaker state per backend: 0 closed, 1 half-open, 2 open',
    labelNames: ['backend'],
    registers,
  });
  const up = new Gauge({
    name: GATEWAY_METRIC_NAMES.backendUp,
    help: 'Whether the gateway holds a working session to the backend (1) or not (0)',
    labelNames: ['backend'],
    registers,
  });
  let sessionCounts: () => Record<string, number> = () => ({});
  new Gauge({
    name: GATEWAY_METRIC_NAMES.backendSessions,
    help: 'Backend sessions held for client sessions per backend (a stdio process each), at most its maxSessions',
    labelNames: ['backend'],
    registers,
    collect() {
      for (const [backend, count] of Object.entries(sessionCounts())) this.set({ backend }, count);
    },
  });
  for (const backend of backends) {
    breaker.set({ backend }, 0);
    up.set({ backend }, 0);
  }
  return {
    onCall({ backend, operation, outcome, durationMs }) {
      requests.inc({ backend, operation, outcome });
      if (outcome !== 'unavailable') duration.observe({ backend, operation }, durationMs / 1000);
    },
    onStateChange(status, state) {
      breaker.set({ backend: status.name }, BREAKER_VALUE[state]);
      up.set({ backend: status.name }, status.state === 'ready' ? 1 : 0);
    },
    observeSessions(counts) {
      sessionCounts = counts;
    },
  };
}
