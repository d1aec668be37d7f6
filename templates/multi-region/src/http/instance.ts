import type { Config } from '../config.js';
import type { InstanceIdentity } from './env.js';

/**
 * The region this instance serves (REGION), when set. Failover between regions is otherwise
 * invisible: every answer (errors too) says which region gave it, and so do /health and metrics.
 */
export function instanceIdentity(config: Config): InstanceIdentity | undefined {
  const region = config.settings.REGION;
  if (region === undefined) return undefined;
  return { headers: { 'X-MCP-Region': region }, health: { region }, labels: { region } };
}
