import type { DeployContext, K8sContribution } from './deploy.js';
import type { Component } from './types.js';

/** The public name the Ingress serves; overlays add their own. */
const HOST = 'mcp.example.com';

/** Settings by auth mode: the identity provider's are not secret; API keys are (the Secret holds them). */
function authSettings(authMode: DeployContext['options']['authMode']): Pick<K8sContribution, 'settings' | 'secrets'> {
  switch (authMode) {
    case 'apikey':
      return { secrets: ['API_KEYS'] };
    case 'jwt':
      return {
        settings: [
          {
            name: 'JWT_JWKS_URL',
            value: 'https://auth.example.com/.well-known/jwks.json',
            comment: "The identity provider: set these to yours (the audience is this server's public /mcp URL).",
          },
          { name: 'JWT_ISSUER', value: 'https://auth.example.com/' },
          { name: 'JWT_AUDIENCE', value: `https://${HOST}/mcp` },
        ],
      };
    default:
      return {};
  }
}

/** The settings every deployment has, the auth mode's, and what the pods reach besides DNS: HTTPS (JWKS) and OTLP. */
function k8sContribution({ port, options }: DeployContext): K8sContribution {
  const auth = authSettings(options.authMode);
  return {
    settings: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'PORT', value: String(port) },
      { name: 'SESSION_MODE', value: options.sessionMode },
      { name: 'AUTH_MODE', value: options.authMode },
      ...(auth.settings ?? []),
      { name: 'ALLOWED_ORIGINS', value: `https://${HOST}` },
      { name: 'ALLOWED_HOSTS', value: HOST },
      {
        name: 'TRUST_PROXY',
        value: '1',
        comment: 'The ingress controller is the one proxy in front: the client is the last X-Forwarded-For entry.',
      },
      { name: 'RATE_LIMIT_RPS', value: '10' },
      { name: 'LOG_LEVEL', value: 'info' },
      {
        name: 'SHUTDOWN_DELAY_MS',
        value: '5000',
        comment: 'Readiness goes 503 for this long after SIGTERM, so the Service stops routing before the pod drains.',
      },
      { name: 'SHUTDOWN_TIMEOUT_MS', value: '15000' },
    ],
    secrets: auth.secrets ?? [],
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
