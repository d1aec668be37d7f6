import { conclude, type CheckOutcome, type LiveContext } from '../check.js';
import { requireReachable } from './context.js';
import { MCP_POST_HEADERS, probe, rpc } from './http.js';

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
    return conclude('', { failures: [{ message: `GET ${path} is not a Prometheus text exposition (content-type ${before.headers.get('content-type') ?? 'none'}, body starts ${JSON.stringify(before.body.slice(0, 80))})`, remediation }] });
  }

  for (let index = 0; index < 3; index++) await probe(ctx, ctx.endpoints.health);
  await probe(ctx, ctx.mcpUrl, { method: 'POST', headers: { ...MCP_POST_HEADERS }, body: rpc('verify-metrics', 'ping') });

  const after = await probe(ctx, ctx.endpoints.metrics);
  const second = after.status === 200 ? parseCounters(after.body) : undefined;
  if (!second) {
    return conclude('', { failures: [{ message: `The second GET ${path} answered ${after.status} without a readable exposition (body starts ${JSON.stringify(after.body.slice(0, 80))})`, remediation }] });
  }
  const requestCounters = [...second.keys()].filter((name) => /request/i.test(name));
  if (requestCounters.length === 0) {
    return conclude('', { failures: [{ message: `No request counter in ${path} (counters: ${[...second.keys()].slice(0, 8).join(', ') || 'none'})`, remediation }] });
  }
  const moved = requestCounters.filter((name) => (second.get(name) ?? 0) > (first.get(name) ?? 0));
  if (moved.length === 0) {
    return conclude('', { failures: [{ message: `${requestCounters.join(', ')} did not increase after 5 requests`, remediation }] });
  }
  return conclude(`${moved.join(', ')} increased under traffic`, { failures: [] });
}
