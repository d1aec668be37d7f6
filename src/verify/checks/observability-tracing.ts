import { randomBytes } from 'node:crypto';
import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { ENV_EXAMPLE, envExample } from '../readers/env.js';
import { ENTRY_FILE, findFirst, reachableFrom, sources } from '../readers/source.js';
import { toolInfo } from '../../core/tool-info.js';
import { notStartedByVerify, requireReachable } from '../runtime/context.js';
import { initializeBody, sleep } from '../runtime/http.js';
import { LATEST_PROTOCOL_VERSION, postMcp } from '../runtime/mcp.js';

const TRACING_FILE = 'src/observability/tracing.ts';

export const observabilityTracing: Check = {
  item: checklistItem('observability.tracing'),
  live: probeTracing,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);

    if (!findFirst(code, /OTEL_EXPORTER_OTLP_ENDPOINT/)) {
      failures.push({
        message: 'OTEL_EXPORTER_OTLP_ENDPOINT is never read: tracing cannot be turned on',
        file: TRACING_FILE,
        remediation: `Read OTEL_EXPORTER_OTLP_ENDPOINT (in src/config.ts or ${TRACING_FILE}) and start tracing when it is set.`,
      });
    }
    const exporter = findFirst(code, /from\s+['"]@opentelemetry\/exporter-trace-otlp-(?:http|proto|grpc)['"]/);
    if (!exporter) {
      failures.push({
        message: 'No OTLP trace exporter is imported: spans never leave the process',
        file: TRACING_FILE,
        remediation: `Export spans with @opentelemetry/exporter-trace-otlp-http in ${TRACING_FILE}.`,
      });
    } else {
      // The entry may load tracing lazily (a dynamic import when the endpoint is set); any import path counts.
      const started = reachableFrom(code, ENTRY_FILE).has(exporter.file);
      if (!started) {
        failures.push({
          message: `${exporter.file} sets up tracing but ${ENTRY_FILE} never loads it`,
          file: ENTRY_FILE,
          remediation: `Import and start tracing from ${exporter.file} at the top of ${ENTRY_FILE}, before the app is created.`,
        });
      }
    }
    if (!findFirst(code, /propagation\s*\.\s*extract\s*\(|\.extract\s*\(\s*(?:ROOT_CONTEXT|context\.active\(\))/)) {
      failures.push({
        message:
          "Incoming traceparent headers are never extracted: server spans start new traces instead of continuing the caller's",
        file: TRACING_FILE,
        remediation: `Extract the W3C trace context from request headers (propagation.extract) and start the request span in that context (${TRACING_FILE} or a middleware).`,
      });
    }
    const env = await envExample(ctx);
    if (env && !env.has('OTEL_EXPORTER_OTLP_ENDPOINT')) {
      warnings.push({
        message: `OTEL_EXPORTER_OTLP_ENDPOINT is not listed in ${ENV_EXAMPLE}`,
        file: ENV_EXAMPLE,
        remediation: `Add OTEL_EXPORTER_OTLP_ENDPOINT= (empty: off) to ${ENV_EXAMPLE}.`,
      });
    }

    return conclude(
      'OpenTelemetry tracing exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set and continues incoming traceparent',
      { failures, warnings },
    );
  },
};

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
  await postMcp(ctx, initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version), {
    traceparent: `00-${traceId}-${parentId}-01`,
  });

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
    const remediation =
      'Start the request span in the context extracted from the incoming headers (propagation.extract in src/observability/tracing.ts) and export it over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT.';
    if (spans.length === 0) {
      failures.push({
        message: `No span reached the OTLP receiver within ${SPAN_WAIT_MS / 1000} s of a request (OTEL_EXPORTER_OTLP_ENDPOINT was set)`,
        remediation,
      });
    } else if (inTrace.length === 0) {
      failures.push({
        message: `${spans.length} span(s) arrived, none in the trace of the incoming traceparent: the server starts new traces`,
        remediation,
      });
    } else {
      failures.push({
        message: `Spans arrived in the incoming trace, but none has the caller's span ${parentId} as parent`,
        remediation,
      });
    }
  }
  return conclude(
    "A request with a traceparent produced a span in that trace, child of the caller's span, at the loopback OTLP receiver",
    { failures },
  );
}
