import { parseDocument } from 'yaml';
import type { StaticContext } from '../check.js';
import { lineAt } from './files.js';
import { isRecord } from './records.js';
import { balancedArgs, findFirst, stringConstants, type SourceFile } from './source.js';

export const ALERTS_FILE = 'monitoring/alerts.yml';

/** A metric the app registers with prom-client. */
export interface RegisteredMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  file: string;
  line: number;
  /** The variable or property holding it, when it is assigned to one. */
  holder?: string;
  /** Whether it computes its value at scrape time (`collect()`), so it needs no updates. */
  collects: boolean;
}

/** prom-client's `collectDefaultMetrics()` series (v15), before any prefix. */
const DEFAULT_METRICS = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds_bucket',
  'nodejs_gc_duration_seconds_sum',
  'nodejs_gc_duration_seconds_count',
];

/** Series Prometheus itself produces for every target and for alerting. */
const PROMETHEUS_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'ALERTS',
  'ALERTS_FOR_STATE',
];

const REGISTRATION = /new\s+(?:[A-Za-z_$][\w$]*\.)?(Counter|Gauge|Histogram|Summary)\s*(?:<[^>(]*>)?\s*\(/g;

/** Metrics registered in code with a literal name (`new Counter({ name: '...' })`). */
export function registeredMetrics(files: readonly SourceFile[]): {
  metrics: RegisteredMetric[];
  unresolved: { file: string; line: number }[];
} {
  const metrics: RegisteredMetric[] = [];
  const unresolved: { file: string; line: number }[] = [];
  const constants = new Map<string, string>();
  for (const { code } of files) for (const [key, value] of stringConstants(code)) constants.set(key, value);
  for (const { file, code } of files) {
    if (!/['"]prom-client['"]/.test(code)) continue;
    for (const match of code.matchAll(REGISTRATION)) {
      const open = code.indexOf('(', match.index + match[0].length - 1);
      const args = balancedArgs(code, open) ?? '';
      const line = lineAt(code, match.index);
      const literal = /\bname\s*:\s*(['"])([a-zA-Z_:][a-zA-Z0-9_:]*)\1/.exec(args)?.[2];
      const reference = /\bname\s*:\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)\s*[,}\n]/.exec(args)?.[1];
      const name = literal ?? (reference ? constants.get(reference) : undefined);
      if (!name || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
        unresolved.push({ file, line });
        continue;
      }
      const before = code.slice(Math.max(0, match.index - 120), match.index);
      const holder = /(?:(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=|([A-Za-z_$][\w$]*)\s*:)\s*$/.exec(
        before,
      );
      metrics.push({
        name,
        type: (match[1] as string).toLowerCase() as RegisteredMetric['type'],
        file,
        line,
        collects: /\bcollect\s*\(/.test(args),
        ...(holder ? { holder: (holder[1] ?? holder[2]) as string } : {}),
      });
    }
  }
  return { metrics, unresolved };
}

/** Whether the app collects prom-client's default metrics, and under which prefix. */
export function defaultMetrics(files: readonly SourceFile[]): { collected: boolean; prefix: string } {
  const call = findFirst(files, /collectDefaultMetrics\s*\(/);
  if (!call) return { collected: false, prefix: '' };
  const file = files.find((candidate) => candidate.file === call.file) as SourceFile;
  const args = balancedArgs(file.code, file.code.indexOf('(', call.index)) ?? '';
  const prefix = /\bprefix\s*:\s*(['"])([a-zA-Z0-9_:]*)\1/.exec(args);
  return { collected: true, prefix: prefix ? (prefix[2] as string) : '' };
}

/** Every series name the app exposes (with histogram and summary suffixes) plus Prometheus' own. */
export function emittedSeries(files: readonly SourceFile[]): Set<string> {
  const out = new Set<string>(PROMETHEUS_SERIES);
  for (const metric of registeredMetrics(files).metrics) {
    out.add(metric.name);
    if (metric.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) out.add(metric.name + suffix);
    if (metric.type === 'summary') for (const suffix of ['_sum', '_count']) out.add(metric.name + suffix);
  }
  const defaults = defaultMetrics(files);
  if (defaults.collected) for (const name of DEFAULT_METRICS) out.add(defaults.prefix + name);
  return out;
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * Metric names a PromQL expression reads. Strings, label matchers, ranges and grouping label
 * lists are removed first; an identifier followed by `(` is a function or aggregation.
 */
export function promqlMetricNames(expr: string): string[] {
  let text = expr.replace(/#[^\n]*/g, ' ');
  text = text.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g, ' ');
  text = text.replace(/\{[^}]*\}/g, ' ');
  text = text.replace(/\[[^\]]*\]/g, ' ');
  text = text.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  text = text.replace(/\boffset\s+-?[0-9a-z]+/gi, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?/g)) {
    const name = match[1] as string;
    if (match[2] || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** One rule of a Prometheus rules file. */
export interface AlertRule {
  /** `alert` or `record` name; empty when missing. */
  name: string;
  kind: 'alert' | 'record' | 'unknown';
  expr: string | undefined;
  labels: Record<string, unknown>;
  annotations: Record<string, unknown>;
  line: number;
}

export type AlertRulesFile =
  { state: 'missing' } | { state: 'invalid'; message: string; line?: number } | { state: 'ok'; rules: AlertRule[] };

/** Reads `monitoring/alerts.yml` in the Prometheus rules format (`groups[].rules[]`). */
export async function alertRules(ctx: StaticContext, file = ALERTS_FILE): Promise<AlertRulesFile> {
  const text = await ctx.readFile(file);
  if (text === undefined) return { state: 'missing' };
  const doc = parseDocument(text, { keepSourceTokens: false });
  const [error] = doc.errors;
  if (error)
    return {
      state: 'invalid',
      message: `does not parse as YAML: ${error.message.split('\n')[0]}`,
      line: error.linePos?.[0]?.line,
    };
  const body = doc.toJS() as unknown;
  if (!isRecord(body) || !Array.isArray(body.groups))
    return { state: 'invalid', message: 'has no "groups" list (Prometheus rules format: groups[].rules[])' };
  const rules: AlertRule[] = [];
  const groups = doc.get('groups', true) as { items?: unknown[] } | undefined;
  for (const [groupIndex, group] of body.groups.entries()) {
    if (!isRecord(group) || !Array.isArray(group.rules)) {
      return { state: 'invalid', message: `group ${groupIndex + 1} has no "rules" list` };
    }
    const groupNode = groups?.items?.[groupIndex] as { get?: (key: string, keep: boolean) => unknown } | undefined;
    const ruleNodes =
      (groupNode?.get?.('rules', true) as { items?: { range?: [number, number, number] }[] } | undefined)?.items ?? [];
    for (const [ruleIndex, rule] of group.rules.entries()) {
      const record = isRecord(rule) ? rule : {};
      const start = ruleNodes[ruleIndex]?.range?.[0];
      const kind =
        typeof record.alert === 'string' ? 'alert' : typeof record.record === 'string' ? 'record' : 'unknown';
      rules.push({
        name: typeof record.alert === 'string' ? record.alert : typeof record.record === 'string' ? record.record : '',
        kind,
        expr:
          typeof record.expr === 'string'
            ? record.expr
            : typeof record.expr === 'number'
              ? String(record.expr)
              : undefined,
        labels: isRecord(record.labels) ? record.labels : {},
        annotations: isRecord(record.annotations) ? record.annotations : {},
        line: start === undefined ? 1 : lineAt(text, start),
      });
    }
  }
  return { state: 'ok', rules };
}
