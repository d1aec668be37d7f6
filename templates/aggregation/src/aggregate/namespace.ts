/** Tool and prompt names the MCP spec allows: 1 to 128 of letters, digits, `_`, `-` and `.`. */
export const VALID_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
export const SEPARATOR = '__';

/** `<prefix>__<name>`, or the name itself for an empty prefix (a transparent single backend). */
export function namespaced(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}${SEPARATOR}${name}`;
}

/** Why a namespaced name cannot be exposed, or undefined when it can. */
export function invalidName(name: string): string | undefined {
  if (VALID_NAME.test(name)) return undefined;
  if (name.length > 128) return `"${name}" is longer than 128 characters; use a shorter prefix`;
  return `"${name}" contains characters MCP names do not allow (only letters, digits, _, - and .)`;
}

/** Two backends exposing the same name, or a name that cannot be exposed; reported, never silently merged. */
export interface Collision {
  kind: 'tool' | 'prompt' | 'resource' | 'resourceTemplate';
  /** The name (or URI) as clients would see it. */
  name: string;
  /** The backend whose entry is served. */
  kept: string;
  /** Backends whose entries with that name are hidden. */
  dropped: string[];
  message: string;
}

/**
 * Merges entries from several backends under their exposed key. The first backend (config order)
 * keeps a contested key; the others are reported as collisions so the clash is visible.
 */
export function mergeNamespaced<T>(
  kind: Collision['kind'],
  perBackend: { backend: string; entries: { key: string; value: T }[] }[],
): { entries: Map<string, { backend: string; value: T }>; collisions: Collision[] } {
  const entries = new Map<string, { backend: string; value: T }>();
  const collisions = new Map<string, Collision>();
  for (const { backend, entries: list } of perBackend) {
    for (const { key, value } of list) {
      const bad = kind === 'tool' || kind === 'prompt' ? invalidName(key) : undefined;
      if (bad) {
        collisions.set(`${backend}\0${key}`, { kind, name: key, kept: '', dropped: [backend], message: `${kind} ${bad} (from ${backend}); it is not exposed` });
        continue;
      }
      const existing = entries.get(key);
      if (!existing) {
        entries.set(key, { backend, value });
        continue;
      }
      if (existing.backend === backend) continue;
      const collision = collisions.get(key) ?? { kind, name: key, kept: existing.backend, dropped: [], message: '' };
      collision.dropped.push(backend);
      collision.message = `${kind} "${key}" is exposed by ${existing.backend} and ${collision.dropped.join(', ')}; serving ${existing.backend}'s. Give the others a distinct "prefix" in the servers file`;
      collisions.set(key, collision);
    }
  }
  return { entries, collisions: [...collisions.values()] };
}
