import type { Settings } from '../config.js';

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

/**
 * The gateway's own variables (GATEWAY_*), validated with the rest of the configuration by
 * src/config.ts, where their bounds and built-in defaults are declared.
 */
export function gatewaySettings(settings: Settings): GatewaySettings {
  return {
    configFile: settings.GATEWAY_CONFIG,
    pageSize: settings.GATEWAY_PAGE_SIZE,
    healthIntervalMs: settings.GATEWAY_HEALTH_INTERVAL_MS,
    breakerThreshold: settings.GATEWAY_BREAKER_THRESHOLD,
    breakerCooldownMs: settings.GATEWAY_BREAKER_COOLDOWN_MS,
    sessionIdleMs: settings.GATEWAY_SESSION_IDLE_MS,
  };
}
