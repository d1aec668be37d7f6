import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { alertRules, ALERTS_FILE } from '../readers/metrics.js';
import { appContainers, k8sObjects, resourcesOf } from '../readers/k8s.js';
import { dig } from '../readers/records.js';
import { routes, routesFor, sources } from '../readers/source.js';

export const preDeploymentMonitoringAlerting: Check = {
  item: checklistItem('pre-deployment.monitoring-alerting'),
  async static(ctx) {
    const { metricsPath } = ctx.manifest.start;
    const failures: Finding[] = [];
    const warnings: Finding[] = [];

    if (routesFor(routes(await sources(ctx)), metricsPath).length === 0) {
      failures.push({
        message: `No GET ${metricsPath} route in src/: Prometheus has nothing to scrape`,
        file: 'src/app.ts',
        remediation: `Serve the prom-client registry at GET ${metricsPath} in src/app.ts.`,
      });
    }

    const rules = await alertRules(ctx);
    if (rules.state === 'missing') {
      failures.push({
        message: `${ALERTS_FILE} is missing: nothing alerts when the server misbehaves`,
        file: ALERTS_FILE,
        remediation: `Add Prometheus alerting rules in ${ALERTS_FILE} (groups[].rules[] with alert and expr) and load them in Prometheus (rule_files).`,
      });
    } else if (rules.state === 'invalid') {
      failures.push({
        message: `${ALERTS_FILE} ${rules.message}`,
        file: ALERTS_FILE,
        ...(rules.line ? { line: rules.line } : {}),
        remediation: `Fix ${ALERTS_FILE}; check it with promtool check rules ${ALERTS_FILE}.`,
      });
    } else if (!rules.rules.some((rule) => rule.kind === 'alert')) {
      failures.push({
        message: `${ALERTS_FILE} defines no alerting rule`,
        file: ALERTS_FILE,
        remediation: `Add at least one rule with "alert" and "expr" to ${ALERTS_FILE} (e.g. the server being down, error rate, latency).`,
      });
    }

    // Pods are only scraped when something tells Prometheus where to look.
    const objects = await k8sObjects(ctx);
    const containers = appContainers(objects);
    if (containers.length > 0) {
      const monitored = resourcesOf(objects, 'ServiceMonitor').length + resourcesOf(objects, 'PodMonitor').length > 0;
      const annotated = containers.some(
        ({ workload }) =>
          dig(workload.body, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/scrape') !== undefined,
      );
      const [first] = containers;
      if (!monitored && !annotated && first) {
        warnings.push({
          message:
            'No ServiceMonitor, PodMonitor or prometheus.io/scrape annotation: Prometheus may never scrape the pods',
          file: first.workload.file,
          line: first.workload.line,
          remediation: `Add prometheus.io/scrape, prometheus.io/port and prometheus.io/path: ${metricsPath} annotations to the pod template in ${first.workload.file}, or a ServiceMonitor.`,
        });
      }
    }

    const count = rules.state === 'ok' ? rules.rules.filter((rule) => rule.kind === 'alert').length : 0;
    return conclude(
      `Metrics served at ${metricsPath}; ${count} alerting rule${count === 1 ? '' : 's'} in ${ALERTS_FILE}`,
      { failures, warnings },
    );
  },
};
