import type { Component } from './types.js';

/**
 * Kubernetes as a kustomize base in `deploy/k8s/base/`: Deployment (probes, resources,
 * non-root read-only container, anti-affinity, rolling update), Service, Ingress with TLS,
 * HPA, PDB, NetworkPolicy and ConfigMap. Secrets are referenced, never written. Overlays
 * (e.g. per region) build on this path.
 */
export const k8s: Component = {
  id: 'k8s',
  templates: ['k8s'],
  readme: 'readme-k8s',
};
