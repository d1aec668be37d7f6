import type { DeployContext, K8sContribution } from './deploy.js';
import { deployedSettings } from './deployed-settings.js';
import type { Component } from './types.js';

/**
 * The deployed settings' Kubernetes values in the ConfigMap (never secrets), required secrets in
 * the Secret, and what the pods reach besides DNS: HTTPS (JWKS) and OTLP.
 */
function k8sContribution(context: DeployContext): K8sContribution {
  const settings: NonNullable<K8sContribution['settings']> = [];
  const secrets: string[] = [];
  for (const { name, k8s, required } of deployedSettings(context)) {
    if (required?.secret) secrets.push(name);
    else if (k8s) settings.push({ name, value: k8s.value, ...(k8s.comment ? { comment: k8s.comment } : {}) });
  }
  return {
    settings,
    secrets,
    egress: [
      { port: 443, reaches: 'HTTPS (JWKS)' },
      { port: 4318, reaches: 'OTLP' },
    ],
  };
}

/**
 * Kubernetes as a kustomize base in `deploy/k8s/base/`: Deployment (probes, resources,
 * non-root read-only container, anti-affinity, rolling update), Service, Ingress with TLS,
 * HPA, PDB, NetworkPolicy and ConfigMap. Secrets are referenced, never written. Other components
 * contribute settings, egress, resources and patches (`K8sContribution`); the kustomization is
 * built from them. Overlays (e.g. per region) build on this path.
 */
export const k8s: Component = {
  id: 'k8s',
  templates: ['k8s'],
  readme: 'readme-k8s',
  deploy: { k8s: k8sContribution, kustomizeBase: 'deploy/k8s/base' },
  layout: {
    'deploy/k8s/base/': 'kustomize base: Deployment, Service, Ingress, HPA, PDB, NetworkPolicy, ConfigMap',
  },
};
