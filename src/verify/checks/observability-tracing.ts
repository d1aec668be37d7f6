import { randomBytes } from 'node:crypto';
import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { ENV_EXAMPLE, envExample } from '../readers/env.js';
import { ENTRY_FILE, findFirst, reachableFrom, sources } from '../readers/source.js';
import { toolInfo } from '../../core/tool-info.js';
import { notStartedByVerify, requireReachable } from '../runtime/context.js';
import { initializeBody, sleep } from '../runtime/http.js';
import {
  eraRequest,
  harmlessTool,
  LATEST_PROTOCOL_VERSION,
  postMcp,
  sampleArguments,
  withMcpSession,
} from '../runtime/mcp.js';
import { ERA_VERSION, servedEras, servedList } from '../runtime/eras.js';

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

/** A W3C trace context: the caller's trace and span, and the `traceparent` that carries them. */
function traceContext(): { traceId: string; parentId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}

/**
 * Sends a request with a `traceparent` header in every era the server serves (2025: initialize;
 * 2026-07-28: tools/list), and in 2026-07-28 a tool call whose trace context travels in `_meta`
 * only; then waits for the loopback OTLP receiver (the project was started with it as
 * OTEL_EXPORTER_OTLP_ENDPOINT) to get, for each, a span in that trace whose parent is the caller's span.
 */
export async function probeTracing(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Receiving spans');
  await requireReachable(ctx);
  const served = servedList(await servedEras(ctx));
  const expected: Array<{ what: string; traceId: string; parentId: string }> = [];
  const notes: string[] = [];
  for (const era of served.length > 0 ? served : (['legacy'] as const)) {
    const label = `[${ERA_VERSION[era]}]`;
    const header = traceContext();
    const request =
      era === 'legacy'
        ? { body: initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version), headers: {} }
        : eraRequest(era, 1, 'tools/list', {});
    await postMcp(ctx, request.body, { ...request.headers, traceparent: header.traceparent });
    expected.push({ what: `${label} the traceparent header`, ...header });
    if (era !== 'modern') continue;
    await withMcpSession(
      ctx,
      async (opened) => {
        const tool = opened.ok ? harmlessTool(opened.session.tools) : undefined;
        if (!opened.ok || !tool) {
          notes.push(
            `${label} traceparent in _meta not tried (${opened.ok ? 'no read-only tool to call' : opened.reason})`,
          );
          return;
        }
        const meta = traceContext();
        const call = opened.session.request(
          2,
          'tools/call',
          { name: tool.name, arguments: sampleArguments(tool) },
          {
            traceparent: meta.traceparent,
          },
        );
        await postMcp(ctx, call.body, { ...opened.session.sessionHeaders, ...call.headers });
        expected.push({ what: `${label} traceparent in the _meta of tools/call ${tool.name}`, ...meta });
      },
      era,
    );
  }

  const continues = (trace: { traceId: string; parentId: string }) =>
    local.spans().some((span) => span.traceId === trace.traceId && span.parentSpanId === trace.parentId);
  const deadline = Date.now() + SPAN_WAIT_MS;
  while (Date.now() < deadline && !expected.every(continues)) await sleep(200);

  const failures: Finding[] = [];
  const remediation =
    "Start the request span in the context extracted from the incoming headers, and a tool span in the context of the request's _meta traceparent when it has one (src/observability/tracing.ts); export them over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT.";
  const spans = local.spans();
  if (spans.length === 0) {
    failures.push({
      message: `No span reached the OTLP receiver within ${SPAN_WAIT_MS / 1000} s of a request (OTEL_EXPORTER_OTLP_ENDPOINT was set)`,
      remediation,
    });
  } else {
    for (const trace of expected.filter((candidate) => !continues(candidate))) {
      const inTrace = spans.filter((span) => span.traceId === trace.traceId);
      failures.push({
        message:
          inTrace.length === 0
            ? `${spans.length} span(s) arrived, none in the trace of ${trace.what}: the server starts new traces`
            : `Spans arrived in the trace of ${trace.what}, but none has the caller's span ${trace.parentId} as parent`,
        remediation,
      });
    }
  }
  const detail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  return conclude(
    `Spans continue the caller's trace (child of the caller's span) at the loopback OTLP receiver, from ${expected.map((trace) => trace.what).join(', ')}${detail}`,
    { failures },
  );
}
