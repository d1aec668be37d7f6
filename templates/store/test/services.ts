import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * The services the store tests talk to. The services of the store this project was generated
 * for (`store` in mcp-arch.json) are required: their URL defaults to the local service, and an
 * unreachable one fails the tests with what to do, instead of skipping them unseen. The
 * services of other stores run when their variable is set, and are skipped, saying so, when not.
 * `SKIP_SERVICE_TESTS=1` skips every service test, saying so.
 */
export interface Service {
  /** The URL to use, or undefined when the tests of this service are skipped. */
  url: string | undefined;
  /** Appended to a test name: why it was skipped, or nothing. */
  skipped: string;
}

type Kind = 'redis' | 'postgres';

const SETUP: Record<Kind, { variable: string; local: string; port: number; start: string; matches: (url: string) => boolean }> = {
  redis: { variable: 'REDIS_URL', local: 'redis://127.0.0.1:6379', port: 6379, start: 'docker run --rm -p 6379:6379 redis:7', matches: (url) => /^rediss?:\/\//.test(url) },
  postgres: {
    variable: 'DATABASE_URL',
    local: 'postgres://postgres@127.0.0.1:5432/test',
    port: 5432,
    start: 'docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:17',
    matches: (url) => /^postgres(ql)?:\/\//.test(url),
  },
};

const NEEDS: Record<string, Kind[]> = { memory: [], redis: ['redis'], database: ['postgres'], hybrid: ['redis', 'postgres'] };

/** The store this project was generated for. */
function generatedStore(): string {
  const manifest = JSON.parse(readFileSync(new URL('../mcp-arch.json', import.meta.url), 'utf8')) as { store?: string };
  return manifest.store ?? 'memory';
}

const skipAll = ['1', 'true'].includes(process.env.SKIP_SERVICE_TESTS ?? '');

export function service(kind: Kind, env: NodeJS.ProcessEnv = process.env): Service {
  const setup = SETUP[kind];
  const set = env[setup.variable];
  const url = set && setup.matches(set) ? set : undefined;
  if (skipAll) return { url: undefined, skipped: ` (skipped: SKIP_SERVICE_TESTS=${process.env.SKIP_SERVICE_TESTS})` };
  if (url) return { url, skipped: '' };
  if ((NEEDS[generatedStore()] ?? []).includes(kind)) return { url: setup.local, skipped: '' };
  return { url: undefined, skipped: ` (skipped: ${setup.variable}${kind === 'postgres' ? '=postgres://...' : ''} not set; not this project's store)` };
}

function reachable(url: string, defaultPort: number, timeoutMs = 3000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort), timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Throws, naming the variable and how to start the service, when a service to be tested is unreachable. */
export async function assertReachable(kind: Kind, { url }: Service): Promise<void> {
  if (url === undefined) return;
  const setup = SETUP[kind];
  if (await reachable(url, setup.port)) return;
  const shown = url.replace(/\/\/[^/@\s]*@/, '//***@');
  throw new Error(
    `${kind === 'redis' ? 'Redis' : 'Postgres'} is not reachable at ${shown} (${setup.variable}${process.env[setup.variable] ? '' : ', unset: the local default'}). ` +
      `Start it (e.g. ${setup.start}), or set ${setup.variable} to a reachable one; SKIP_SERVICE_TESTS=1 skips these tests.`,
  );
}
