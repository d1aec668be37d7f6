import type { Config } from '../config.js';
import type { InstanceIdentity } from './env.js';

/** This project runs in one place: its answers, /health and metrics need no name of where. */
export function instanceIdentity(_config: Config): InstanceIdentity | undefined {
  return undefined;
}
