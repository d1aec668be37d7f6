import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { alertRules, ALERTS_FILE, emittedSeries, promqlMetricNames } from '../readers/metrics.js';
import { k8sObjects, prometheusRules } from '../readers/k8s.js';
import { sources } from '../readers/source.js';

export const observabilityAlertingRules: Check = {
  item: checklistItem('observability.alerting-rules'),
  async static(ctx) {
    const rules = await alertRules(ctx);
    const validate = `check it with promtool check rules ${ALERTS_FILE}`;
    if (rules.state === 'missing') {
      return conclude('', {
        failures: [
          {
            message: `${ALERTS_FILE} is missing`,
            file: ALERTS_FILE,
            remediation: `Add Prometheus alerting rules in ${ALERTS_FILE} over the metrics the app emits.`,
          },
        ],
      });
    }
    if (rules.state === 'invalid') {
      return conclude('', {
        failures: [
          {
            message: `${ALERTS_FILE} ${rules.message}`,
            file: ALERTS_FILE,
            ...(rules.line ? { line: rules.line } : {}),
            remediation: `Fix ${ALERTS_FILE}; ${validate}.`,
          },
        ],
      });
    }
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    if (rules.rules.length === 0) {
      failures.push({
        message: `${ALERTS_FILE} has no rules`,
        file: ALERTS_FILE,
        remediation: `Add alerting rules (alert, expr, for, labels.severity, annotations.summary) to ${ALERTS_FILE}.`,
      });
    }

    const emitted = emittedSeries(await sources(ctx));
    // Recording rules produce series that later rules may read.
    for (const rule of rules.rules) if (rule.kind === 'record') emitted.add(rule.name);

    for (const rule of rules.rules) {
      const label = rule.name ? `Rule ${rule.name}` : 'A rule';
      if (rule.kind === 'unknown') {
        failures.push({
          message: `${label} has neither "alert" nor "record"`,
          file: ALERTS_FILE,
          line: rule.line,
          remediation: `Name the rule with "alert:" in ${ALERTS_FILE}.`,
        });
      }
      if (!rule.expr || rule.expr.trim() === '') {
        failures.push({
          message: `${label} has no expr`,
          file: ALERTS_FILE,
          line: rule.line,
          remediation: `Give ${rule.name || 'the rule'} a PromQL "expr" in ${ALERTS_FILE}.`,
        });
        continue;
      }
      const unknown = promqlMetricNames(rule.expr).filter((name) => !emitted.has(name));
      for (const name of unknown) {
        failures.push({
          message: `${label} reads ${name}, which the app does not emit: the alert can never fire`,
          file: ALERTS_FILE,
          line: rule.line,
          remediation: `Use a metric registered in src/observability/metrics.ts (or a default process metric) in ${ALERTS_FILE}, or register ${name} there.`,
        });
      }
      if (rule.kind === 'alert' && rule.labels.severity === undefined) {
        warnings.push({
          message: `${label} has no severity label: routing cannot tell a page from a ticket`,
          file: ALERTS_FILE,
          line: rule.line,
          remediation: `Add labels.severity (e.g. critical, warning) to ${rule.name} in ${ALERTS_FILE}.`,
        });
      }
    }

    // Clusters with the Prometheus Operator load rules from PrometheusRule objects instead of the file.
    const operatorRules = prometheusRules(await k8sObjects(ctx));
    for (const rule of operatorRules) if (rule.kind === 'record') emitted.add(rule.name);
    for (const rule of operatorRules) {
      const label = `PrometheusRule ${rule.object}: ${rule.name ? `rule ${rule.name}` : 'a rule'}`;
      const at = { file: rule.file, line: rule.line };
      if (rule.kind === 'unknown')
        failures.push({
          message: `${label} has neither "alert" nor "record"`,
          ...at,
          remediation: `Name the rule with "alert:" in ${rule.file}.`,
        });
      if (rule.expr.trim() === '') {
        failures.push({
          message: `${label} has no expr`,
          ...at,
          remediation: `Give the rule a PromQL "expr" in ${rule.file}.`,
        });
        continue;
      }
      for (const name of promqlMetricNames(rule.expr).filter((metric) => !emitted.has(metric))) {
        failures.push({
          message: `${label} reads ${name}, which the app does not emit: the alert can never fire`,
          ...at,
          remediation: `Use a metric registered in src/observability/metrics.ts in ${rule.file}, or register ${name} there.`,
        });
      }
      if (rule.kind === 'alert' && rule.labels.severity === undefined) {
        warnings.push({
          message: `${label} has no severity label`,
          ...at,
          remediation: `Add labels.severity to ${rule.name} in ${rule.file}.`,
        });
      }
    }

    const alerts =
      rules.rules.filter((rule) => rule.kind === 'alert').length +
      operatorRules.filter((rule) => rule.kind === 'alert').length;
    const where = operatorRules.length > 0 ? ` (${ALERTS_FILE} and PrometheusRule objects)` : '';
    return conclude(
      `${alerts} alerting rule${alerts === 1 ? '' : 's'}${where} parse and read only metrics the app emits`,
      { failures, warnings },
    );
  },
};
