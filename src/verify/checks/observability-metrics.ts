import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { defaultMetrics, registeredMetrics } from '../readers/metrics.js';
import { escapeRegExp, findFirst, routes, routesFor, sources } from '../readers/source.js';
import { requireReachable } from '../runtime/context.js';
import { MCP_POST_HEADERS, probe, rpc } from '../runtime/http.js';

const METRICS_FILE = 'src/observability/metrics.ts';

export const observabilityMetrics: Check = {
  item: checklistItem('observability.metrics'),
  live: probeMetrics,
  async static(ctx) {
    const { metricsPath } = ctx.manifest.start;
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);

    if (routesFor(routes(code), metricsPath).length === 0) {
      failures.push({
        message: `No GET ${metricsPath} route in src/`,
        from: 'source-text',
        file: 'src/app.ts',
        remediation: `Serve the prom-client registry (register.metrics(), register.contentType) at GET ${metricsPath} in src/app.ts.`,
      });
    }
    if (!findFirst(code, /from\s+['"]prom-client['"]/)) {
      failures.push({
        message: 'prom-client is not imported anywhere in src/',
        from: 'source-text',
        file: METRICS_FILE,
        remediation: `Register the app's metrics with prom-client in ${METRICS_FILE}.`,
      });
    }
    const { metrics, unresolved } = registeredMetrics(code);
    if (metrics.length === 0) {
      failures.push({
        message: 'No metric is registered with a literal name (new Counter({ name: ... }))',
        from: 'source-text',
        file: METRICS_FILE,
        remediation: `Register request and tool-call counters and a duration histogram with literal names in ${METRICS_FILE}.`,
      });
    }
    for (const site of unresolved) {
      warnings.push({
        message: `A metric in ${site.file} has a computed name; verify cannot match it against the alert rules`,
        file: site.file,
        line: site.line,
        remediation: `Give the metric a literal name: in ${site.file}.`,
      });
    }
    const all = code.map((file) => file.code).join('\n');
    for (const metric of metrics) {
      if (metric.type === 'counter' && !metric.name.endsWith('_total')) {
        warnings.push({
          message: `Counter ${metric.name} does not end in _total`,
          file: metric.file,
          line: metric.line,
          remediation: `Rename ${metric.name} to ${metric.name}_total in ${metric.file} (and in monitoring/alerts.yml).`,
        });
      }
      // A registered metric nobody updates exports a constant, which silently defeats its alerts.
      const updated =
        metric.collects ||
        (metric.holder &&
          new RegExp(
            `\\b${escapeRegExp(metric.holder)}\\s*\\??\\.\\s*(?:inc|dec|set|observe|startTimer|labels|reset|zero)\\s*\\(`,
          ).test(all));
      if (!updated) {
        warnings.push({
          message: `Metric ${metric.name} is never updated in src/`,
          file: metric.file,
          line: metric.line,
          remediation: `Update ${metric.name} (inc/observe/set) where the event happens, or remove it from ${metric.file}.`,
        });
      }
    }
    if (!defaultMetrics(code).collected) {
      warnings.push({
        message: 'Default process metrics are not collected (memory, CPU, event loop lag)',
        file: METRICS_FILE,
        remediation: `Call collectDefaultMetrics({ register }) in ${METRICS_FILE}.`,
      });
    }

    const names = metrics.map((metric) => metric.name).join(', ');
    return conclude(`Prometheus metrics at ${metricsPath}: ${names || 'none'}`, { failures, warnings });
  },
};

/** Sum of every sample of each metric family that counts events. */
export type CounterTotals = Map<string, number>;

/** `name{label="value",...} value [timestamp]`; label values may hold escaped quotes and braces. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;

/**
 * Counters in a Prometheus text exposition, summed over their labels; `undefined` when the text
 * is not an exposition at all. A family counts when its TYPE is counter, or, untyped, its name
 * ends in `_total`.
 */
export function parseCounters(text: string): CounterTotals | undefined {
  const types = new Map<string, string>();
  const samples: [string, number][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    if (line.startsWith('#')) continue;
    // One odd line (a cut-off body, an exotic exporter) must not hide every counter.
    const sample = SAMPLE.exec(line);
    const value = Number(sample?.[2]);
    if (sample && !Number.isNaN(value)) samples.push([sample[1] as string, value]);
  }
  if (samples.length === 0) return undefined;
  const totals: CounterTotals = new Map();
  for (const [name, value] of samples) {
    // OpenMetrics-style counters are typed under the family name without `_total`.
    const family = types.has(name) ? name : name.replace(/_total$/, '');
    const type = types.get(name) ?? types.get(family);
    const counter = type === 'counter' || (type === undefined && name.endsWith('_total'));
    if (!counter || name.endsWith('_created')) continue;
    totals.set(name, (totals.get(name) ?? 0) + value);
  }
  return totals;
}

/** The metrics endpoint must serve a Prometheus exposition whose request counter moves under traffic. */
export async function probeMetrics(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  const path = new URL(ctx.endpoints.metrics).pathname;
  const remediation = `Serve the Prometheus registry at GET ${path} and count every HTTP request (e.g. mcp_http_requests_total by route and status).`;
  const before = await probe(ctx, ctx.endpoints.metrics);
  if (before.status !== 200) {
    return conclude('', { failures: [{ message: `GET ${path} answered ${before.status}, not 200`, remediation }] });
  }
  const first = parseCounters(before.body);
  if (!first) {
    return conclude('', {
      failures: [
        {
          message: `GET ${path} is not a Prometheus text exposition (content-type ${before.headers.get('content-type') ?? 'none'}, body starts ${JSON.stringify(before.body.slice(0, 80))})`,
          remediation,
        },
      ],
    });
  }

  for (let index = 0; index < 3; index++) await probe(ctx, ctx.endpoints.health);
  await probe(ctx, ctx.mcpUrl, {
    method: 'POST',
    headers: { ...MCP_POST_HEADERS },
    body: rpc('verify-metrics', 'ping'),
  });

  const after = await probe(ctx, ctx.endpoints.metrics);
  const second = after.status === 200 ? parseCounters(after.body) : undefined;
  if (!second) {
    return conclude('', {
      failures: [
        {
          message: `The second GET ${path} answered ${after.status} without a readable exposition (body starts ${JSON.stringify(after.body.slice(0, 80))})`,
          remediation,
        },
      ],
    });
  }
  const requestCounters = [...second.keys()].filter((name) => /request/i.test(name));
  if (requestCounters.length === 0) {
    return conclude('', {
      failures: [
        {
          message: `No request counter in ${path} (counters: ${[...second.keys()].slice(0, 8).join(', ') || 'none'})`,
          remediation,
        },
      ],
    });
  }
  const moved = requestCounters.filter((name) => (second.get(name) ?? 0) > (first.get(name) ?? 0));
  if (moved.length === 0) {
    return conclude('', {
      failures: [{ message: `${requestCounters.join(', ')} did not increase after 5 requests`, remediation }],
    });
  }
  return conclude(`${moved.join(', ')} increased under traffic`, { failures: [] });
}
