import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ProjectOptions } from '../../src/core/options.js';
import { renderProject } from './rendered.js';

/**
 * compose.yaml's app environment and the Kubernetes ConfigMap and Secret come from one table of
 * deployed settings and the project's variable registry: the same variables, secrets never in a
 * file, required ones refused when missing (Compose) or read from the Secret (Kubernetes).
 */
type Obj = Record<string, unknown>;

function deployed(options: Partial<ProjectOptions>) {
  const { files } = renderProject({
    name: 'lb-app',
    pattern: 'load-balanced',
    store: 'redis',
    deploy: ['docker', 'compose', 'k8s'],
    authMode: 'apikey',
    sessionMode: 'stateless',
    protocol: 'dual',
    ...options,
  });
  const compose = parse(files.get('compose.yaml')!) as { services: Record<string, { environment?: Obj }> };
  const configMap = parse(files.get('deploy/k8s/base/configmap.yaml')!) as { data: Record<string, string> };
  const deployment = files.get('deploy/k8s/base/deployment.yaml')!;
  return { environment: compose.services['app-1']!.environment!, config: configMap.data, deployment };
}

describe('deployed settings', () => {
  it('sets the same variables in Compose and Kubernetes, each target with its own values', () => {
    const { environment, config } = deployed({});
    const k8sOnly = ['SHUTDOWN_TIMEOUT_MS'];
    const secrets = ['API_KEYS'];
    const app = Object.keys(environment).filter((name) => !name.startsWith('REDIS'));
    expect(app.filter((name) => !secrets.includes(name)).sort()).toEqual(
      Object.keys(config)
        .filter((name) => !k8sOnly.includes(name) && !name.startsWith('REDIS'))
        .sort(),
    );
    expect(environment.ALLOWED_ORIGINS).toBe('${ALLOWED_ORIGINS:-http://localhost:8080}');
    expect(config.ALLOWED_ORIGINS).toBe('https://mcp.example.com');
    expect(environment.SHUTDOWN_DELAY_MS).toBe('2000');
    expect(config.SHUTDOWN_DELAY_MS).toBe('5000');
  });

  it('keeps a secret out of every file: Compose requires it from .env, Kubernetes reads the Secret', () => {
    const { environment, config, deployment } = deployed({ authMode: 'apikey' });
    expect(environment.API_KEYS).toBe('${API_KEYS:?set API_KEYS in .env, e.g. openssl rand -hex 32}');
    expect(config).not.toHaveProperty('API_KEYS');
    expect(deployment).toMatch(/# API_KEYS.*: see README, Deploy\.\n\s+- secretRef:\n\s+name: lb-app-secrets/);
  });

  it('asks for what the JWT mode requires: from .env in Compose, example values to replace in the ConfigMap', () => {
    const { environment, config, deployment } = deployed({ authMode: 'jwt' });
    for (const name of ['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE']) {
      expect(environment[name]).toBe(`\${${name}:?set ${name} in .env}`);
      expect(config[name]).toMatch(/^https:\/\//);
    }
    expect(environment).not.toHaveProperty('API_KEYS');
    expect(deployment).not.toMatch(/API_KEYS/);
  });

  it('deploys the posture the project was generated with', () => {
    const modern = deployed({ protocol: 'modern' });
    expect(modern.environment.MCP_PROTOCOL).toBe('${MCP_PROTOCOL:-modern}');
    expect(modern.config.MCP_PROTOCOL).toBe('modern');
    expect(deployed({}).config.MCP_PROTOCOL).toBe('dual');
  });
});
