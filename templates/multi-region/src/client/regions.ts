import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** One deployment of the server, as the client reaches it. */
export interface Region {
  /** The name the deployment reports as REGION (X-MCP-Region, /health). */
  name: string;
  /** The MCP endpoint, e.g. https://eu-west.mcp.example.com/mcp. */
  url: string;
  /** Liveness URL used to measure latency; `/health` on the same host when omitted. */
  healthUrl: string;
}

/** Every timing of the client, in milliseconds. */
export interface RegionTimings {
  /** A health probe slower than this counts as a failure. */
  probeTimeoutMs: number;
  /** Probes per region per round; the fastest counts, so one slow handshake does not decide. */
  probeSamples: number;
  /** Limit for connecting to a region (`server/discover`, or `initialize` for a 2025 session). */
  connectTimeoutMs: number;
  /**
   * Limit for one request; a region that does not answer in time is failed over. Keep it above
   * the server's REQUEST_TIMEOUT_MS, so a slow tool ends with the server's tool error instead.
   */
  requestTimeoutMs: number;
  /** How often every region is probed again, to return to the fastest one when it recovers; 0 turns it off. */
  reprobeIntervalMs: number;
  /** Move to a faster region only when it wins by more than this, so close latencies do not flap. */
  switchMarginMs: number;
  /** A failed region is left alone this long (jittered) before one probe tests it again. */
  coolDownMs: number;
  /** Cap of the cool-down, which doubles each time the test fails. */
  maxCoolDownMs: number;
}

export const DEFAULT_TIMINGS: RegionTimings = {
  probeTimeoutMs: 2_000,
  probeSamples: 2,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 35_000,
  reprobeIntervalMs: 15_000,
  switchMarginMs: 10,
  coolDownMs: 5_000,
  maxCoolDownMs: 60_000,
};

/**
 * The protocol era the client speaks: `auto` tries 2026-07-28 (`server/discover`) and falls back
 * to 2025 (`initialize`) for a region that does not offer it; `modern` and `legacy` speak only one.
 */
export type Protocol = 'auto' | 'modern' | 'legacy';

export interface RegionsConfig {
  regions: Region[];
  protocol: Protocol;
  /** Sent with every request to every region (credentials, for instance). */
  headers: Record<string, string>;
  timings: RegionTimings;
}

const millis = (max: number) => z.number().int().min(0).max(max);

const fileSchema = z
  .object({
    regions: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: 'expected a region name: lowercase letters, digits and -' }),
            url: z.url({ protocol: /^https?$/, error: 'expected the http(s) URL of the region\'s MCP endpoint' }),
            healthUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
          })
          .strict(),
      )
      .min(1, { error: 'list at least one region' }),
    protocol: z.enum(['auto', 'modern', 'legacy'], { error: 'expected auto, modern (2026-07-28 only) or legacy (2025 only)' }).default('auto'),
    headers: z.record(z.string(), z.string()).default({}),
    timings: z
      .object({
        probeTimeoutMs: millis(60_000).min(1),
        probeSamples: z.number().int().min(1).max(10),
        connectTimeoutMs: millis(600_000).min(1),
        requestTimeoutMs: millis(3_600_000).min(1),
        reprobeIntervalMs: millis(86_400_000),
        switchMarginMs: millis(60_000),
        coolDownMs: millis(3_600_000),
        maxCoolDownMs: millis(86_400_000),
      })
      .strict()
      .partial()
      .default({}),
  })
  .strict();

/** Problems in a regions file, each naming the field to fix. */
export class RegionsConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid regions configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RegionsConfigError';
  }
}

/**
 * Validates a regions configuration (the parsed contents of regions.json). `${NAME}` in a header
 * value is replaced from `env`, so credentials stay out of the file.
 */
export function parseRegions(value: unknown, source = 'regions.json', env: Record<string, string | undefined> = process.env): RegionsConfig {
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    throw new RegionsConfigError(
      source,
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`),
    );
  }
  const problems: string[] = [];
  const names = new Set<string>();
  for (const region of parsed.data.regions) {
    if (names.has(region.name)) problems.push(`regions: ${region.name} is listed twice`);
    names.add(region.name);
  }
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(parsed.data.headers)) {
    headers[name] = raw.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_match, variable: string) => {
      const replacement = env[variable];
      if (replacement === undefined || replacement === '') {
        problems.push(`headers.${name}: environment variable ${variable} is not set`);
        return '';
      }
      return replacement;
    });
  }
  if (problems.length > 0) throw new RegionsConfigError(source, problems);
  return {
    regions: parsed.data.regions.map((region) => ({
      name: region.name,
      url: region.url,
      healthUrl: region.healthUrl ?? new URL('/health', region.url).toString(),
    })),
    protocol: parsed.data.protocol,
    headers,
    timings: { ...DEFAULT_TIMINGS, ...parsed.data.timings },
  };
}

/** Reads and validates a regions file (regions.json by default). */
export function loadRegions(path = 'regions.json', env: Record<string, string | undefined> = process.env): RegionsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RegionsConfigError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass another with --regions or REGIONS_FILE`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RegionsConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseRegions(value, path, env);
}
