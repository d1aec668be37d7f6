import type { ComposeContribution, DeployContext } from './deploy.js';
import type { Component } from './types.js';

/** Compose's `${VAR:?message}`: the value comes from the environment or .env, never from the file. */
const required = (name: string, hint = '') => `\${${name}:?set ${name} in .env${hint}}`;
const RANDOM_KEY = ', e.g. openssl rand -hex 32';

/** Credentials by auth mode: passed through from the environment. */
function authEnvironment(authMode: DeployContext['options']['authMode']): Record<string, string> {
  switch (authMode) {
    case 'apikey':
      return { API_KEYS: required('API_KEYS', RANDOM_KEY) };
    case 'jwt':
      return {
        JWT_JWKS_URL: required('JWT_JWKS_URL'),
        JWT_ISSUER: required('JWT_ISSUER'),
        JWT_AUDIENCE: required('JWT_AUDIENCE'),
      };
    default:
      return {};
  }
}

const HEALTHCHECK_TIMING = { interval: '10s', timeout: '3s', start_period: '10s', retries: 3 };

/** The app's instances and nginx in front of them; stores and backends are added by their components. */
function composeContribution({ name, port, options }: DeployContext): ComposeContribution {
  return {
    app: {
      service: {
        build: '.',
        image: `${name}:0.1.0`,
        restart: 'unless-stopped',
        healthcheck: {
          test: [
            'CMD',
            'node',
            '-e',
            `fetch('http://127.0.0.1:${port}/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
          ],
          ...HEALTHCHECK_TIMING,
        },
        stop_grace_period: '15s',
        read_only: true,
        tmpfs: ['/tmp'],
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
        deploy: { resources: { limits: { cpus: '1', memory: '512M' } } },
      },
      environment: {
        HOST: '0.0.0.0',
        PORT: String(port),
        SESSION_MODE: `\${SESSION_MODE:-${options.sessionMode}}`,
        AUTH_MODE: `\${AUTH_MODE:-${options.authMode}}`,
        ...authEnvironment(options.authMode),
        ALLOWED_ORIGINS: '${ALLOWED_ORIGINS:-http://localhost:8080}',
        ALLOWED_HOSTS: '${ALLOWED_HOSTS:-localhost,127.0.0.1}',
        TRUST_PROXY: '1',
        RATE_LIMIT_RPS: '${RATE_LIMIT_RPS:-10}',
        LOG_LEVEL: '${LOG_LEVEL:-info}',
        SHUTDOWN_DELAY_MS: '2000',
      },
      environmentComments: {
        TRUST_PROXY: 'nginx is the one proxy in front: the client address is the last X-Forwarded-For entry.',
        SHUTDOWN_DELAY_MS: 'Readiness goes 503 first, so nginx stops sending new requests before the instance drains.',
      },
    },
    entry: {
      name: 'nginx',
      label: 'nginx',
      comment:
        'The entry point (deploy/nginx/nginx.conf): docker compose up --build, then MCP at http://localhost:8080/mcp',
      service: {
        image: 'nginxinc/nginx-unprivileged:1.27-alpine',
        restart: 'unless-stopped',
        ports: ['8080:8080'],
        volumes: ['./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro'],
        read_only: true,
        tmpfs: ['/tmp'],
        healthcheck: {
          test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/nginx-health'],
          interval: '10s',
          timeout: '3s',
          retries: 3,
        },
      },
    },
  };
}

/**
 * Docker Compose: `compose.yaml` built as data from every component's contribution (the store,
 * the app once per instance the pattern runs, nginx in front: `deploy/nginx/nginx.conf`, no
 * cookie affinity, SSE unbuffered). Builds from the Dockerfile.
 */
export const compose: Component = {
  id: 'compose',
  templates: ['nginx'],
  readme: 'readme-compose',
  deploy: { compose: composeContribution, composeFile: 'compose.yaml' },
};
