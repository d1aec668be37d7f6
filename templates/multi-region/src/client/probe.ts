import type { Clock } from './clock.js';
import { describeError } from './errors.js';
import type { Region } from './regions.js';

/** What the client last learned about a region. */
export interface RegionStatus {
  name: string;
  healthy: boolean;
  /** Fastest health probe of the round, in milliseconds; absent when unhealthy. */
  latencyMs?: number;
  /** The region the deployment says it is (its REGION setting), when it says. */
  reportedRegion?: string;
  error?: string;
}

export interface ProbeOptions {
  clock: Clock;
  fetch: typeof fetch;
  timeoutMs: number;
  samples: number;
  headers?: Record<string, string>;
}

/**
 * Measures a region through GET /health: healthy when every sample answers 2xx in time,
 * latency the fastest sample (the first one may pay for the TCP/TLS handshake).
 */
export async function probeRegion(region: Region, { clock, fetch: fetchFn, timeoutMs, samples, headers = {} }: ProbeOptions): Promise<RegionStatus> {
  let fastest = Number.POSITIVE_INFINITY;
  let reportedRegion: string | undefined;
  for (let sample = 0; sample < samples; sample += 1) {
    const controller = new AbortController();
    const timer = clock.setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const started = clock.now();
    try {
      const response = await fetchFn(region.healthUrl, { headers, signal: controller.signal });
      const body = (await response.json().catch(() => undefined)) as { region?: unknown } | undefined;
      if (!response.ok) return { name: region.name, healthy: false, error: `GET /health answered ${response.status}` };
      if (typeof body?.region === 'string') reportedRegion = body.region;
      fastest = Math.min(fastest, clock.now() - started);
    } catch (error) {
      const reason = controller.signal.aborted ? String((controller.signal.reason as Error).message) : describeError(error);
      return { name: region.name, healthy: false, error: reason };
    } finally {
      clock.clearTimeout(timer);
    }
  }
  return { name: region.name, healthy: true, latencyMs: Math.round(fastest * 10) / 10, reportedRegion };
}

/** Healthy regions, fastest first. */
export function rank(statuses: readonly RegionStatus[]): RegionStatus[] {
  return statuses.filter((s) => s.healthy).sort((a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity));
}
