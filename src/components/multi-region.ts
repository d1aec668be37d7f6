import type { Component } from './types.js';

/** A region's name: it names a Kubernetes overlay, a host and REGION, so a DNS label (e.g. eu-west). */
export const REGION_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The kustomize overlay of one region, over the k8s base (`k8sRegions` writes one per generated region). */
export const regionOverlayPath = (region: string) => `deploy/k8s/overlays/${region}/kustomization.yaml`;

/**
 * The multi-region pattern: the region-aware client library (`src/client/`, reading
 * `regions.json`; 2026-07-28 first, 2025 fallback; failover per era under one retry rule), its
 * example CLI, and the tests that run three local regions per era and kill one.
 * The server side is the base app, naming the region of REGION (set per deployment) in every
 * answer, /health and metrics.
 */
export const multiRegion: Component = {
  id: 'multi-region',
  templates: ['multi-region', 'outbound'],
  dependencies: ['@modelcontextprotocol/client'],
  replaces: ['src/http/instance.ts'],
  env: [
    {
      name: 'REGION',
      default: '',
      schema: `z.string().regex(${String(REGION_NAME)}, { error: 'expected a region name: lowercase letters, digits and -, e.g. eu-west' })`,
      description:
        'Region this instance serves (e.g. eu-west); when set, responses carry X-MCP-Region and /health and metrics name it',
    },
  ],
  readme: 'readme-multi-region',
  scripts: {
    client: 'tsx src/client/cli.ts',
  },
  layout: {
    'src/http/instance.ts': 'the region (REGION) this instance names in every answer, /health and metrics',
    'src/client/':
      'the region-aware client library (retry-rule.ts: which calls are repeated in another region) and its CLI',
    'regions.json': 'the regions the client knows',
  },
};

/** Per-region kustomize overlays (`deploy/k8s/overlays/<region>/`) over the k8s base; one per region of regions.json. */
export const k8sRegions: Component = {
  id: 'k8s-regions',
  templates: ['k8s-regions'],
  layout: {
    'deploy/k8s/overlays/': 'one kustomize overlay per region',
  },
};
