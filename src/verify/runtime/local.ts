import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT, InterruptedError, UserError } from '../../core/errors.js';
import { MANIFEST_FILE, type Manifest } from '../../core/manifest.js';
import type { LocalInstance, LocalProject } from '../check.js';
import { buildProject, requireNode, startInstance } from './launch.js';
import { startJwksIssuer, startOtlpReceiver, type JwksIssuer, type OtlpReceiver } from './loopback.js';

/**
 * The variables of a project whose manifest does not list them (written before it did): every
 * variable the project reads is either decided by verify or kept out of the server it starts,
 * so the run does not depend on the shell it was started from.
 */
const OLDER_MANIFEST_ENV = [
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'ALLOWED_ORIGINS',
  'ALLOWED_HOSTS',
  'AUTH_MODE',
  'API_KEYS',
  'JWT_JWKS_URL',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'RATE_LIMIT_RPS',
  'RATE_LIMIT_BURST',
  'TRUST_PROXY',
  'LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'SESSION_MODE',
] as const;

/** What verify sets for itself besides the project's own variables. */
const RUNTIME_ENV = ['ENV_FILE', 'NODE_ENV'] as const;

/**
 * What the server verify starts inherits from the caller's environment: everything but the
 * project's own variables (from its manifest) and verify's runtime settings, which verify decides.
 */
export function inheritedEnvironment(manifest: Pick<Manifest, 'env'>, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inherited = { ...env };
  for (const name of [...RUNTIME_ENV, ...(manifest.env ?? OLDER_MANIFEST_ENV)]) delete inherited[name];
  return inherited;
}

/** A project verify started, with everything it set up around it. */
export interface LocalRun {
  local: LocalProject;
  /** Headers that authenticate as a legitimate client. */
  headers: Record<string, string>;
  url: string;
  /** Stops every instance (SIGTERM, then SIGKILL) and the loopback helpers; safe to call twice. */
  close(): Promise<void>;
}

export interface StartLocalOptions {
  dir: string;
  manifest: Manifest;
  /** Environment to run the build and the server in (PATH decides which `node`). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * `--live` without `--url`: checks Node, builds, starts the project on a free loopback port
 * with a generated API key (or a loopback JWKS for `jwt`), a loopback OTLP receiver and its
 * store, and waits until it answers. Whatever fails on the way, nothing is left running.
 */
export async function startLocal(options: StartLocalOptions): Promise<LocalRun> {
  const { dir, manifest } = options;
  const { start } = manifest;
  if (!start.run) {
    throw new UserError(
      `${MANIFEST_FILE} has no "start.run" (how to start the server directly, e.g. "node dist/index.js"), so --live cannot start it. Add the field, regenerate the project, or start it yourself and pass --url.`,
      EXIT.usage,
    );
  }
  await requireNode(dir, options.env);
  if (start.build) await buildProject(dir, start.build, options.env, options.signal);

  const cleanups: (() => Promise<void>)[] = [];
  const instances: LocalInstance[] = [];
  let closed = false;
  let closing: Promise<void> | undefined;
  // Every caller (abort, failure, end of run) waits for the same shutdown to finish.
  const close = (): Promise<void> => {
    closed = true;
    closing ??= (async () => {
      await Promise.all(instances.map((instance) => instance.stop('SIGTERM', 10_000).catch(() => undefined)));
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })();
    return closing;
  };
  const onAbort = () => void close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  cleanups.push(async () => options.signal?.removeEventListener('abort', onAbort));

  try {
    const otlp: OtlpReceiver = await startOtlpReceiver();
    cleanups.push(() => otlp.close());
    const data = await mkdtemp(path.join(tmpdir(), 'mcp-arch-live-'));
    cleanups.push(() => rm(data, { recursive: true, force: true }));

    const secrets: string[] = [];
    const env: Record<string, string> = {
      ENV_FILE: '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      SESSION_MODE: manifest.sessionMode,
      ...storeEnv(manifest, options.env, data),
    };
    let headers: Record<string, string> = {};
    let jwks: JwksIssuer | undefined;
    if (manifest.authMode === 'apikey') {
      const key = randomBytes(24).toString('hex');
      secrets.push(key);
      Object.assign(env, { AUTH_MODE: 'apikey', API_KEYS: key });
      headers = { authorization: `Bearer ${key}` };
    } else if (manifest.authMode === 'jwt') {
      jwks = await startJwksIssuer();
      cleanups.push(() => (jwks as JwksIssuer).close());
      const token = jwks.token();
      secrets.push(token);
      Object.assign(env, {
        AUTH_MODE: 'jwt',
        JWT_JWKS_URL: jwks.jwksUrl,
        JWT_ISSUER: jwks.issuer,
        JWT_AUDIENCE: jwks.audience,
      });
      headers = { authorization: `Bearer ${token}` };
    } else {
      env.AUTH_MODE = 'none';
    }

    const base = inheritedEnvironment(manifest, options.env);
    const launch = async (extra: Record<string, string> = {}): Promise<LocalInstance> => {
      if (closed) throw new Error('the live run has ended');
      const port = Number(extra[start.portEnv]) || (await freePort());
      const instance = await startInstance({
        dir,
        command: start.run as string,
        env: { ...base, ...env, ...extra, [start.portEnv]: String(port) },
        port,
        healthPath: start.healthPath,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (closed) {
        // The run ended (e.g. Ctrl-C) while this instance was starting.
        await instance.stop('SIGTERM', 10_000);
        throw new InterruptedError('Interrupted: verify stopped the project it started.');
      }
      instances.push(instance);
      return instance;
    };
    const main = await launch();
    return {
      url: main.url,
      headers,
      local: {
        main,
        secrets,
        spans: () => otlp.spans(),
        env: options.env,
        ...(jwks ? { wrongAudienceToken: jwks.token('https://another-service.invalid/mcp') } : {}),
        launch,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The services of the store the manifest names (a project holds the code of its own store only),
 * where the caller's environment points to them, or the local defaults.
 */
function storeEnv(manifest: Manifest, env: NodeJS.ProcessEnv, dataDir: string): Record<string, string> {
  const store = manifest.store;
  const out: Record<string, string> = {};
  if (store === 'redis' || store === 'hybrid') out.REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (store === 'database' || store === 'hybrid')
    out.DATABASE_URL = env.DATABASE_URL ?? `file:${path.join(dataDir, 'sessions.db')}`;
  return out;
}

/**
 * Settings that point the project's store at a port nothing listens on, for the readiness
 * probe; undefined when the project has no external store to lose (memory, SQLite file).
 */
export async function unreachableStoreEnv(manifest: Manifest): Promise<Record<string, string> | undefined> {
  const port = await freePort();
  const redis = { REDIS_URL: `redis://127.0.0.1:${port}` };
  const database = { DATABASE_URL: `postgres://verify@127.0.0.1:${port}/verify` };
  if (manifest.store === 'redis') return redis;
  if (manifest.store === 'database') return database;
  // Hybrid keeps serving from either service alone, by design: it is not ready with both gone.
  if (manifest.store === 'hybrid') return { ...redis, ...database };
  return undefined;
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Settings of an instance a check starts for itself (`Check.ownInstances`) while the other probes
 * run: rate limiting off, since a limit the replicas share through their store is what the
 * rate-limit probe exhausts at the same time, and it is not what these checks test.
 */
export const OWN_INSTANCE_ENV: Readonly<Record<string, string>> = { RATE_LIMIT_RPS: '0' };
