import type { StoreId } from '../core/ids.js';
import type { ComposeContribution, DeployContext, K8sContribution } from './deploy.js';

/** A service a store runs beside the app in compose.yaml, and what the app needs to reach it. */
interface StoreService {
  name: string;
  label: string;
  volume: string;
  /** The TCP port the app connects to. */
  port: number;
  service: Record<string, unknown>;
  environment: Record<string, string>;
}

const HEALTH_TIMING = { interval: '5s', timeout: '3s', retries: 10 };
const POSTGRES_PASSWORD = '${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env, e.g. openssl rand -hex 16}';

const REDIS: StoreService = {
  name: 'redis',
  label: 'Redis',
  volume: 'redis-data',
  port: 6379,
  service: {
    image: 'redis:7.4-alpine',
    restart: 'unless-stopped',
    // Sessions and rate limit buckets survive a Redis restart.
    command: ['redis-server', '--appendonly', 'yes'],
    volumes: ['redis-data:/data'],
    healthcheck: { test: ['CMD', 'redis-cli', 'ping'], ...HEALTH_TIMING },
  },
  environment: { REDIS_URL: 'redis://redis:6379' },
};

const POSTGRES: StoreService = {
  name: 'postgres',
  label: 'Postgres',
  volume: 'postgres-data',
  port: 5432,
  service: {
    image: 'postgres:17-alpine',
    restart: 'unless-stopped',
    environment: { POSTGRES_USER: 'mcp', POSTGRES_DB: 'mcp', POSTGRES_PASSWORD },
    volumes: ['postgres-data:/var/lib/postgresql/data'],
    healthcheck: { test: ['CMD', 'pg_isready', '-U', 'mcp', '-d', 'mcp'], ...HEALTH_TIMING },
  },
  environment: { DATABASE_URL: `postgres://mcp:${POSTGRES_PASSWORD}@postgres:5432/mcp` },
};

/** The services each store kind runs: the database store runs on Postgres in Compose (several instances share it). */
const SERVICES: Record<StoreId, readonly StoreService[]> = {
  memory: [],
  redis: [REDIS],
  database: [POSTGRES],
  hybrid: [REDIS, POSTGRES],
};

/** What the session store adds to compose.yaml: its services, volumes, and their URLs in the app's environment. */
export function storeCompose({ options }: DeployContext): ComposeContribution {
  const services = SERVICES[options.store];
  return {
    services: Object.fromEntries(
      services.map(({ name, label, service }) => [name, { label, service, stateful: true }]),
    ),
    volumes: services.map(({ volume }) => volume),
    app: {
      environment: Object.assign({}, ...services.map(({ environment }) => environment)) as Record<string, string>,
      dependsOn: services.map(({ name }) => name),
    },
  };
}

/**
 * What the session store adds to the Kubernetes base: the pods may reach its services, and the
 * Secret holds their URLs (they carry credentials; the services run outside the base).
 */
export function storeK8s({ options }: DeployContext): K8sContribution {
  const services = SERVICES[options.store];
  return {
    egress: services.map(({ port, label }) => ({ port, reaches: `${label} (the session store)` })),
    secrets: services.flatMap(({ environment }) => Object.keys(environment)),
  };
}
