import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { probeTracing } from '../live/tracing.js';
import { ENTRY_FILE, ENV_EXAMPLE, envExample, sources } from '../project.js';
import { findFirst, reachableFrom } from '../source.js';

const TRACING_FILE = 'src/observability/tracing.ts';

export const observabilityTracing: Check = {
  item: checklistItem('observability.tracing'),
  live: probeTracing,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);

    if (!findFirst(code, /OTEL_EXPORTER_OTLP_ENDPOINT/)) {
      failures.push({ message: 'OTEL_EXPORTER_OTLP_ENDPOINT is never read: tracing cannot be turned on', file: TRACING_FILE, remediation: `Read OTEL_EXPORTER_OTLP_ENDPOINT (in src/config.ts or ${TRACING_FILE}) and start tracing when it is set.` });
    }
    const exporter = findFirst(code, /from\s+['"]@opentelemetry\/exporter-trace-otlp-(?:http|proto|grpc)['"]/);
    if (!exporter) {
      failures.push({ message: 'No OTLP trace exporter is imported: spans never leave the process', file: TRACING_FILE, remediation: `Export spans with @opentelemetry/exporter-trace-otlp-http in ${TRACING_FILE}.` });
    } else {
      // The entry may load tracing lazily (a dynamic import when the endpoint is set); any import path counts.
      const started = reachableFrom(code, ENTRY_FILE).has(exporter.file);
      if (!started) {
        failures.push({ message: `${exporter.file} sets up tracing but ${ENTRY_FILE} never loads it`, file: ENTRY_FILE, remediation: `Import and start tracing from ${exporter.file} at the top of ${ENTRY_FILE}, before the app is created.` });
      }
    }
    if (!findFirst(code, /propagation\s*\.\s*extract\s*\(|\.extract\s*\(\s*(?:ROOT_CONTEXT|context\.active\(\))/)) {
      failures.push({ message: 'Incoming traceparent headers are never extracted: server spans start new traces instead of continuing the caller\'s', file: TRACING_FILE, remediation: `Extract the W3C trace context from request headers (propagation.extract) and start the request span in that context (${TRACING_FILE} or a middleware).` });
    }
    const env = await envExample(ctx);
    if (env && !env.has('OTEL_EXPORTER_OTLP_ENDPOINT')) {
      warnings.push({ message: `OTEL_EXPORTER_OTLP_ENDPOINT is not listed in ${ENV_EXAMPLE}`, file: ENV_EXAMPLE, remediation: `Add OTEL_EXPORTER_OTLP_ENDPOINT= (empty: off) to ${ENV_EXAMPLE}.` });
    }

    return conclude('OpenTelemetry tracing exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set and continues incoming traceparent', { failures, warnings });
  },
};
