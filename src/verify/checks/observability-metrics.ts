import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { probeMetrics } from '../live/metrics.js';
import { defaultMetrics, registeredMetrics } from '../metrics.js';
import { sources } from '../project.js';
import { escapeRegExp, findFirst, routes, routesFor } from '../source.js';

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
      failures.push({ message: `No GET ${metricsPath} route in src/`, file: 'src/app.ts', remediation: `Serve the prom-client registry (register.metrics(), register.contentType) at GET ${metricsPath} in src/app.ts.` });
    }
    if (!findFirst(code, /from\s+['"]prom-client['"]/)) {
      failures.push({ message: 'prom-client is not imported anywhere in src/', file: METRICS_FILE, remediation: `Register the app's metrics with prom-client in ${METRICS_FILE}.` });
    }
    const { metrics, unresolved } = registeredMetrics(code);
    if (metrics.length === 0) {
      failures.push({ message: 'No metric is registered with a literal name (new Counter({ name: ... }))', file: METRICS_FILE, remediation: `Register request and tool-call counters and a duration histogram with literal names in ${METRICS_FILE}.` });
    }
    for (const site of unresolved) {
      warnings.push({ message: `A metric in ${site.file} has a computed name; verify cannot match it against the alert rules`, file: site.file, line: site.line, remediation: `Give the metric a literal name: in ${site.file}.` });
    }
    const all = code.map((file) => file.code).join('\n');
    for (const metric of metrics) {
      if (metric.type === 'counter' && !metric.name.endsWith('_total')) {
        warnings.push({ message: `Counter ${metric.name} does not end in _total`, file: metric.file, line: metric.line, remediation: `Rename ${metric.name} to ${metric.name}_total in ${metric.file} (and in monitoring/alerts.yml).` });
      }
      // A registered metric nobody updates exports a constant, which silently defeats its alerts.
      const updated = metric.collects || (metric.holder && new RegExp(`\\b${escapeRegExp(metric.holder)}\\s*\\??\\.\\s*(?:inc|dec|set|observe|startTimer|labels|reset|zero)\\s*\\(`).test(all));
      if (!updated) {
        warnings.push({ message: `Metric ${metric.name} is never updated in src/`, file: metric.file, line: metric.line, remediation: `Update ${metric.name} (inc/observe/set) where the event happens, or remove it from ${metric.file}.` });
      }
    }
    if (!defaultMetrics(code).collected) {
      warnings.push({ message: 'Default process metrics are not collected (memory, CPU, event loop lag)', file: METRICS_FILE, remediation: `Call collectDefaultMetrics({ register }) in ${METRICS_FILE}.` });
    }

    const names = metrics.map((metric) => metric.name).join(', ');
    return conclude(`Prometheus metrics at ${metricsPath}: ${names || 'none'}`, { failures, warnings });
  },
};
