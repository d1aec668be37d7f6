import type { Component } from './types.js';

/**
 * The multi-region pattern: the region-aware client library (`src/client/`, reading
 * `regions.json`), its example CLI, and the tests that run three local regions and kill one.
 * The server side is the base app with REGION set per deployment.
 */
export const multiRegion: Component = {
  id: 'multi-region',
  templates: ['multi-region', 'outbound'],
  readme: 'readme-multi-region',
  scripts: {
    client: 'tsx src/client/cli.ts',
  },
};

/** Per-region kustomize overlays (`deploy/k8s/overlays/<region>/`) over the k8s base; one per region of regions.json. */
export const k8sRegions: Component = {
  id: 'k8s-regions',
  templates: ['k8s-regions'],
};
