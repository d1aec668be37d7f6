import { randomBytes } from 'node:crypto';
import { conclude, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { toolInfo } from '../../core/tool-info.js';
import { requireReachable } from './context.js';
import { initializeBody, sleep } from './http.js';
import { notStartedByVerify } from './logging.js';
import { LATEST_PROTOCOL_VERSION, postMcp } from './mcp.js';

/** Batch span processors export every few seconds; wait a little longer than the usual delay. */
const SPAN_WAIT_MS = 8_000;

/**
 * Sends a request with a `traceparent` and waits for the loopback OTLP receiver (which the
 * project was started with as OTEL_EXPORTER_OTLP_ENDPOINT) to get a span in that trace whose
 * parent is the caller's span.
 */
export async function probeTracing(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Receiving spans');
  await requireReachable(ctx);
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  await postMcp(ctx, initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version), { traceparent: `00-${traceId}-${parentId}-01` });

  const deadline = Date.now() + SPAN_WAIT_MS;
  let continued = false;
  while (Date.now() < deadline) {
    continued = local.spans().some((span) => span.traceId === traceId && span.parentSpanId === parentId);
    if (continued) break;
    await sleep(200);
  }
  const failures: Finding[] = [];
  if (!continued) {
    const spans = local.spans();
    const inTrace = spans.filter((span) => span.traceId === traceId);
    const remediation = 'Start the request span in the context extracted from the incoming headers (propagation.extract in src/observability/tracing.ts) and export it over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT.';
    if (spans.length === 0) {
      failures.push({ message: `No span reached the OTLP receiver within ${SPAN_WAIT_MS / 1000} s of a request (OTEL_EXPORTER_OTLP_ENDPOINT was set)`, remediation });
    } else if (inTrace.length === 0) {
      failures.push({ message: `${spans.length} span(s) arrived, none in the trace of the incoming traceparent: the server starts new traces`, remediation });
    } else {
      failures.push({ message: `Spans arrived in the incoming trace, but none has the caller's span ${parentId} as parent`, remediation });
    }
  }
  return conclude('A request with a traceparent produced a span in that trace, child of the caller\'s span, at the loopback OTLP receiver', { failures });
}
