import { posix } from 'node:path';
import type { ComposeContribution, DeployContext, K8sContribution } from './deploy.js';

/**
 * The gateway's servers files, written from this one source: `gateway.config.json` in the
 * project (the stdio example backend; the HTTP one off until it runs) and the file deployed
 * with Compose and Kubernetes (both backends, the HTTP one's URL and credential read from the
 * environment at start, so none is written down).
 */
const LOCAL_BACKEND = {
  command: 'node',
  args: ['examples/backends/stdio-backend.mjs'],
  env: { BACKEND_NAME: 'local' },
  timeoutMs: 30000,
};

export const GATEWAY_SERVERS = {
  mcpServers: {
    local: LOCAL_BACKEND,
    remote: { url: 'http://127.0.0.1:4100/mcp', enabled: false },
  },
};

export const DEPLOYED_GATEWAY_SERVERS = {
  mcpServers: {
    local: LOCAL_BACKEND,
    remote: { url: '${REMOTE_MCP_URL}', headers: { Authorization: 'Bearer ${REMOTE_MCP_TOKEN}' }, timeoutMs: 30000 },
  },
};

/** Where deployed gateways read their servers file (GATEWAY_CONFIG), mounted read-only. */
export const DEPLOYED_SERVERS_PATH = '/etc/mcp-gateway/gateway.config.json';

const REMOTE_TOKEN = '${REMOTE_MCP_TOKEN:?set REMOTE_MCP_TOKEN in .env, e.g. openssl rand -hex 32}';

/** Compose's `$$` escapes `$`: the gateway, not Compose, expands `${VAR}` in its servers file. */
const composeEscaped = (text: string) => text.replaceAll('${', () => '$${');

/** What the gateway adds to compose.yaml: the example HTTP backend and the deployed servers file. */
export function gatewayCompose({ name }: DeployContext): ComposeContribution {
  return {
    services: {
      backend: {
        label: 'example backend',
        comment: 'The example HTTP backend (examples/backends/http-backend.mjs): replace it with your own servers.',
        service: {
          build: '.',
          image: `${name}:0.1.0`,
          restart: 'unless-stopped',
          command: ['node', 'examples/backends/http-backend.mjs'],
          environment: { BACKEND_HOST: '0.0.0.0', PORT: '4100', BACKEND_NAME: 'remote', BACKEND_TOKEN: REMOTE_TOKEN },
          healthcheck: {
            test: [
              'CMD',
              'node',
              '-e',
              "fetch('http://127.0.0.1:4100/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
            ],
            interval: '10s',
            timeout: '3s',
            start_period: '10s',
            retries: 3,
          },
          read_only: true,
          tmpfs: ['/tmp'],
          cap_drop: ['ALL'],
          security_opt: ['no-new-privileges:true'],
          deploy: { resources: { limits: { cpus: '0.5', memory: '256M' } } },
        },
      },
    },
    app: {
      noun: 'gateway',
      environment: {
        GATEWAY_CONFIG: DEPLOYED_SERVERS_PATH,
        REMOTE_MCP_URL: 'http://backend:4100/mcp',
        REMOTE_MCP_TOKEN: REMOTE_TOKEN,
      },
      environmentComments: {
        GATEWAY_CONFIG: 'The servers file (configs.gateway-servers), mounted read-only.',
        REMOTE_MCP_TOKEN: "The backend's own credential: the gateway sends it, never a client's token.",
      },
      configs: [{ source: 'gateway-servers', target: DEPLOYED_SERVERS_PATH }],
      dependsOn: ['backend'],
      healthcheckComment: '/ready is 503 only when no backend is ready: one dead backend keeps the gateway in nginx.',
    },
    configs: {
      'gateway-servers': {
        comment:
          'What the gateway serves: the stdio example backend runs inside each gateway container, the HTTP one is the backend service.',
        content: composeEscaped(`${JSON.stringify(DEPLOYED_GATEWAY_SERVERS, null, 2)}\n`),
      },
    },
  };
}

/**
 * What the gateway adds to the Kubernetes base: its servers file as the ConfigMap `<name>-servers`
 * (resource `gateway-servers.yaml`), mounted read-only by a patch of the Deployment where
 * GATEWAY_CONFIG points; the backends' credentials in the Secret; HTTP backends in the egress.
 */
export function gatewayK8s({ name }: DeployContext): K8sContribution {
  const servers = `${name}-servers`;
  const mountPath = posix.dirname(DEPLOYED_SERVERS_PATH);
  return {
    settings: [
      {
        name: 'GATEWAY_CONFIG',
        value: DEPLOYED_SERVERS_PATH,
        comment: `The servers file: the ConfigMap ${servers} (gateway-servers.yaml), mounted read-only.`,
      },
    ],
    secrets: ['REMOTE_MCP_URL', 'REMOTE_MCP_TOKEN'],
    egress: [
      {
        port: 80,
        reaches: "HTTP backends (HTTPS ones use 443; add your backends' ports; stdio backends run inside the pod)",
      },
    ],
    readiness: '503 also when no backend is ready: one dead backend keeps the pod serving the others.',
    resources: {
      'gateway-servers.yaml': {
        header: [
          'What the gateway serves. The stdio backend runs inside each gateway container (a process per',
          'client session); HTTP backends are reached over the network (networkpolicy.yaml). ${VAR} is read',
          `from the pod's environment at start: REMOTE_MCP_URL and REMOTE_MCP_TOKEN come from the Secret`,
          `${name}-secrets, so no credential is written here. Pods read it at start: after a change,`,
          `kubectl rollout restart deployment/${name}.`,
        ].join('\n'),
        document: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: servers, labels: { 'app.kubernetes.io/name': name } },
          data: { [posix.basename(DEPLOYED_SERVERS_PATH)]: `${JSON.stringify(DEPLOYED_GATEWAY_SERVERS, null, 2)}\n` },
        },
      },
    },
    patches: [
      {
        comment: `The gateway's servers file (gateway-servers.yaml), mounted read-only where GATEWAY_CONFIG points.`,
        target: { kind: 'Deployment', name },
        operations: [
          {
            op: 'add',
            path: '/spec/template/spec/containers/0/volumeMounts/-',
            value: { name: 'servers', mountPath, readOnly: true },
          },
          {
            op: 'add',
            path: '/spec/template/spec/volumes/-',
            value: { name: 'servers', configMap: { name: servers } },
          },
        ],
      },
    ],
  };
}
