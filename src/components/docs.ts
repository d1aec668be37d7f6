import type { StoreId } from '../core/ids.js';
import type { Component } from './types.js';

/** The services a store's code talks to; its tests and the generated CI need them running. */
export const STORE_SERVICES: Record<StoreId, ReadonlyArray<'redis' | 'postgres'>> = {
  memory: [],
  redis: ['redis'],
  database: ['postgres'],
  hybrid: ['redis', 'postgres'],
};

/** What the README and AGENTS.md of a project say about its files, from its components. */
export interface ProjectDocs {
  /** Paths of the project with what they hold, sorted by path. */
  layout: Array<{ path: string; description: string }>;
  /** The partial that says how to extend what the project serves. */
  extending: string;
  /** Services the store's tests and CI need (SQLite needs none; the database store also runs on Postgres). */
  storeServices: ReadonlyArray<'redis' | 'postgres'>;
}

export function projectDocs(components: readonly Component[], store: StoreId): ProjectDocs {
  const layout = new Map<string, string>();
  let extending: string | undefined;
  for (const component of components) {
    for (const [path, description] of Object.entries(component.layout ?? {})) layout.set(path, description);
    extending = component.extending ?? extending;
  }
  if (extending === undefined)
    throw new Error(
      `no component says how to extend the project (components: ${components.map((c) => c.id).join(', ')})`,
    );
  return {
    layout: [...layout]
      .map(([path, description]) => ({ path, description }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    extending,
    storeServices: STORE_SERVICES[store],
  };
}
