import { isOneOf } from '../core/ids.js';

/** What `mcp-arch add` can add; the order is the one `--help` and errors show. */
export const FEATURES = ['store', 'deploy', 'auth', 'protocol', 'tracing', 'backend', 'region'] as const;
export type Feature = (typeof FEATURES)[number];

export function isFeature(value: string): value is Feature {
  return isOneOf(FEATURES, value);
}

/** How a conflict is written: markers in the file (the default), or the file kept and a `.rej` beside it. */
export const CONFLICT_STYLES = ['markers', 'rej'] as const;
export type ConflictStyle = (typeof CONFLICT_STYLES)[number];
