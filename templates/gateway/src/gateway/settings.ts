import { z } from 'zod';
import { ConfigError } from '../config.js';

export interface GatewaySettings {
  /** The `mcpServers` file (GATEWAY_CONFIG). */
  configFile: string;
  /** Entries per page of tools/resources/prompts lists served to clients. */
  pageSize: number;
  healthIntervalMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** A client session's backend connection unused for this long is closed (GATEWAY_SESSION_IDLE_MS). */
  sessionIdleMs: number;
}

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number({ error: 'expected a number' }).int({ error: 'expected a whole number' }).min(min, { error: `expected at least ${min}` }).max(max, { error: `expected at most ${max}` }).default(fallback);

const schema = z.object({
  GATEWAY_CONFIG: z.string().min(1).default('gateway.config.json'),
  GATEWAY_PAGE_SIZE: integer(1, 10_000, 100),
  GATEWAY_HEALTH_INTERVAL_MS: integer(100, 600_000, 5000),
  GATEWAY_BREAKER_THRESHOLD: integer(1, 1000, 5),
  GATEWAY_BREAKER_COOLDOWN_MS: integer(100, 3_600_000, 10_000),
  GATEWAY_SESSION_IDLE_MS: integer(100, 86_400_000, 300_000),
});

/** The gateway's own variables; a bad one is a ConfigError naming it, like the base configuration. */
export function loadGatewaySettings(env: Record<string, string | undefined> = process.env): GatewaySettings {
  const present = Object.fromEntries(Object.entries(env).filter(([name, value]) => name in schema.shape && value !== undefined && value.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`));
  }
  const raw = parsed.data;
  return {
    configFile: raw.GATEWAY_CONFIG,
    pageSize: raw.GATEWAY_PAGE_SIZE,
    healthIntervalMs: raw.GATEWAY_HEALTH_INTERVAL_MS,
    breakerThreshold: raw.GATEWAY_BREAKER_THRESHOLD,
    breakerCooldownMs: raw.GATEWAY_BREAKER_COOLDOWN_MS,
    sessionIdleMs: raw.GATEWAY_SESSION_IDLE_MS,
  };
}
