import { ConfigError, schema } from '../config.js';

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

/** The gateway's variables as src/config.ts declares them: their bounds and built-in defaults live there. */
const gatewaySchema = schema.pick({
  GATEWAY_CONFIG: true,
  GATEWAY_PAGE_SIZE: true,
  GATEWAY_HEALTH_INTERVAL_MS: true,
  GATEWAY_BREAKER_THRESHOLD: true,
  GATEWAY_BREAKER_COOLDOWN_MS: true,
  GATEWAY_SESSION_IDLE_MS: true,
});

/** The gateway's own variables (GATEWAY_*) from the environment; a bad one is a ConfigError naming it, like the base configuration. */
export function loadGatewaySettings(env: Record<string, string | undefined> = process.env): GatewaySettings {
  const present = Object.fromEntries(Object.entries(env).filter(([name, value]) => name in gatewaySchema.shape && value !== undefined && value.trim() !== ''));
  const parsed = gatewaySchema.safeParse(present);
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
