import type { DeployContext } from './deploy.js';
import { requiredEnv } from './env.js';
import { COLLECTOR_CONFIG, COMPOSE_COLLECTOR, K8S_COLLECTOR } from './tracing.js';

/** The public name a Kubernetes Ingress serves; overlays add their own. */
export const K8S_HOST = 'mcp.example.com';

/** How one deployment target sets a variable. */
interface TargetValue {
  value: string;
  comment?: string;
}

/**
 * One variable a deployed instance gets, with its value per target. A target without a value
 * leaves the variable to the code's built-in default.
 */
export interface DeployedSetting {
  name: string;
  compose?: TargetValue;
  k8s?: TargetValue;
  /** Compose writes `${NAME:-value}`, so `.env` can change it without editing the file. */
  overridable?: boolean;
  /**
   * The auth mode requires it and no file holds its value: Compose refuses to start without it in
   * `.env` (the hint says how to make one), Kubernetes reads it from the Secret when it is secret.
   */
  required?: { secret: boolean; hint?: string };
}

/** How to make a value Compose asks for. */
const COMPOSE_HINTS: Record<string, string> = { API_KEYS: ', e.g. openssl rand -hex 32' };

/** Values the Kubernetes base shows for the identity provider the JWT mode requires: set them to yours. */
const K8S_JWT_EXAMPLES: Record<string, TargetValue> = {
  JWT_JWKS_URL: {
    value: 'https://auth.example.com/.well-known/jwks.json',
    comment: "The identity provider: set these to yours (the audience is this server's public /mcp URL).",
  },
  JWT_ISSUER: { value: 'https://auth.example.com/' },
  JWT_AUDIENCE: { value: `https://${K8S_HOST}/mcp` },
};

const both = (value: string): Pick<DeployedSetting, 'compose' | 'k8s'> => ({ compose: { value }, k8s: { value } });

/**
 * What every deployment of the app behind a proxy sets, one row per variable: compose.yaml's
 * app environment and the Kubernetes ConfigMap and Secret are derived from these rows. Which
 * variables are secrets and which the auth mode requires come from the project's variable
 * registry; a required variable has no value in any file (Compose refuses to start without it,
 * Kubernetes reads secrets from the Secret), except the identity provider's examples above.
 */
export function deployedSettings({ port, options, env }: DeployContext): DeployedSetting[] {
  const required = requiredEnv(env).map((variable): DeployedSetting => ({
    name: variable.name,
    required: { secret: variable.secret === true, hint: COMPOSE_HINTS[variable.name] },
    // A non-secret one is shown in the ConfigMap with an example value.
    ...(variable.secret ? {} : { k8s: K8S_JWT_EXAMPLES[variable.name] }),
  }));
  return [
    { name: 'HOST', ...both('0.0.0.0') },
    { name: 'PORT', ...both(String(port)) },
    { name: 'SESSION_MODE', ...both(options.sessionMode), overridable: true },
    { name: 'MCP_PROTOCOL', ...both(options.protocol), overridable: true },
    { name: 'AUTH_MODE', ...both(options.authMode), overridable: true },
    ...required,
    {
      name: 'ALLOWED_ORIGINS',
      compose: { value: 'http://localhost:8080' },
      k8s: { value: `https://${K8S_HOST}` },
      overridable: true,
    },
    {
      name: 'ALLOWED_HOSTS',
      compose: { value: 'localhost,127.0.0.1' },
      k8s: { value: K8S_HOST },
      overridable: true,
    },
    {
      name: 'TRUST_PROXY',
      compose: {
        value: '1',
        comment: 'nginx is the one proxy in front: the client address is the last X-Forwarded-For entry.',
      },
      k8s: {
        value: '1',
        comment: 'The ingress controller is the one proxy in front: the client is the last X-Forwarded-For entry.',
      },
    },
    { name: 'RATE_LIMIT_RPS', ...both('10'), overridable: true },
    { name: 'LOG_LEVEL', ...both('info'), overridable: true },
    ...(options.tracing
      ? [
          {
            name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
            compose: {
              value: COMPOSE_COLLECTOR.endpoint,
              comment: `Tracing is on: spans go to the collector beside the app (${COLLECTOR_CONFIG}).`,
            },
            k8s: {
              value: K8S_COLLECTOR.endpoint,
              comment: `Tracing is on: spans go to the cluster's collector (Service ${K8S_COLLECTOR.service} in namespace ${K8S_COLLECTOR.namespace}; ${COLLECTOR_CONFIG} is a configuration for it).`,
            },
            overridable: true,
          },
        ]
      : []),
    {
      name: 'SHUTDOWN_DELAY_MS',
      compose: {
        value: '2000',
        comment: 'Readiness goes 503 first, so nginx stops sending new requests before the instance drains.',
      },
      k8s: {
        value: '5000',
        comment: 'Readiness goes 503 for this long after SIGTERM, so the Service stops routing before the pod drains.',
      },
    },
    { name: 'SHUTDOWN_TIMEOUT_MS', k8s: { value: '15000' } },
  ];
}
