import type { ComposeContribution, DeployContext } from './deploy.js';
import { deployedSettings } from './deployed-settings.js';
import type { Component } from './types.js';

/** The app's environment in Compose: the deployed settings' Compose values, required ones from `.env`. */
function composeEnvironment(
  context: DeployContext,
): Pick<ComposeContribution['app'] & object, 'environment' | 'environmentComments'> {
  const environment: Record<string, string> = {};
  const environmentComments: Record<string, string> = {};
  for (const { name, compose, overridable, required } of deployedSettings(context)) {
    if (required) environment[name] = `\${${name}:?set ${name} in .env${required.hint ?? ''}}`;
    else if (compose) environment[name] = overridable ? `\${${name}:-${compose.value}}` : compose.value;
    if (compose?.comment) environmentComments[name] = compose.comment;
  }
  return { environment, environmentComments };
}

const HEALTHCHECK_TIMING = { interval: '10s', timeout: '3s', start_period: '10s', retries: 3 };

/** The app's instances and nginx in front of them; stores and backends are added by their components. */
function composeContribution(context: DeployContext): ComposeContribution {
  const { name, port } = context;
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
      ...composeEnvironment(context),
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
