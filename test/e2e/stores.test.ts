import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { generateInstalled, ownTests } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';
import { SUITE_PROJECTS } from './projects.js';

/**
 * A project on the hybrid store (Redis in front of the database), with replicas and tracing: its
 * own contract suite runs against every store it carries on the real Redis, SQLite and Postgres
 * of this machine, its built-in defaults reach the local Redis and a SQLite file, and its /ready
 * follows the database.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Stores the generated contract suite runs against, as named in its describe blocks. */
const CONTRACT_STORES = [
  'memory (test double)',
  'sqlite',
  'postgres',
  'redis',
  'hybrid, Redis unreachable (sqlite)',
  'hybrid (Redis + postgres)',
];
/** The suites of the stores a hybrid project carries: the two services and the one in front of both. */
const STORE_FILES = ['store.database.test.ts', 'store.hybrid.test.ts', 'store.redis.test.ts'];
const CONTRACT_CASES = 8;

const work = mkdtempSync(join(tmpdir(), 'e2e-stores-'));
const app = join(work, 'app');
let node24: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Starts the built server with a store configuration, hands its port to `use`, always stops it. */
async function withServer(env: Record<string, string>, use: (base: string) => Promise<void>): Promise<string> {
  const port = await freePort();
  const server = execa(join(node24, 'node'), ['dist/index.js'], {
    cwd: app,
    env: envWithNode(node24, {
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_MODE: 'none',
      LOG_LEVEL: 'info',
      ENV_FILE: '',
      ...env,
    }),
    reject: false,
    stdin: 'ignore',
  });
  let output = '';
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(`${base}/health`, server);
    await use(base);
    server.kill('SIGTERM');
    const ended = await server;
    expect(ended.exitCode, output.slice(-2000)).toBe(0);
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  return output;
}

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  await generateInstalled(work, 'app', [...SUITE_PROJECTS.stores], node24);
  await execa('npm', ['run', 'build'], { cwd: app, env: envWithNode(node24), stdin: 'ignore' });
});

/** Generates a project without installing it; its package.json's dependency names. */
async function generatedDependencies(name: string, args: string[]): Promise<string[]> {
  const result = await run('mcpArch', ['generate', name, ...args, '--yes', '--no-install', '--no-git'], { cwd: work });
  expect(result.exitCode, result.stderr).toBe(0);
  const pkg = JSON.parse(readFileSync(join(work, name, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
}

describe('generated project with the hybrid store', { timeout: 240_000 }, () => {
  it('carries the clients of its own store only: both for hybrid, pg for the database, none for memory', async () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['ioredis', 'pg']));
    const example = readFileSync(join(app, '.env.example'), 'utf8');
    expect(example).toMatch(/^REDIS_URL=redis:\/\/127\.0\.0\.1:6379$/m);
    expect(example).toMatch(/^DATABASE_URL=file:\.\/data\/sessions\.db$/m);
    expect(example).not.toMatch(/^SESSION_STORE=/m);

    const database = await generatedDependencies('single-database', ['--pattern', 'single', '--store', 'database']);
    expect(database.filter((name) => /ioredis|^pg$|@types\/pg/.test(name)).sort()).toEqual(['@types/pg', 'pg']);
    // One instance counts its rate limits in its own process: no shared buckets, no Redis.
    for (const path of [
      'src/rate-limit/database.ts',
      'src/rate-limit/redis.ts',
      'src/rate-limit/shared.ts',
      'test/rate-limit-database.test.ts',
      'src/store/redis.ts',
    ]) {
      expect(existsSync(join(work, 'single-database', path)), path).toBe(false);
    }
    expect(readFileSync(join(work, 'single-database', '.env.example'), 'utf8')).not.toMatch(
      /^(RATE_LIMIT_TABLE|REDIS_URL)=/m,
    );

    const memory = await generatedDependencies('plain', ['--pattern', 'single']);
    expect(memory.filter((name) => /ioredis|^pg$|@types\/pg/.test(name))).toEqual([]);
    expect(existsSync(join(work, 'plain', 'src', 'store'))).toBe(false);
  });

  it('passes its own tests with Redis and Postgres: the contract ran against every store', async () => {
    const { report } = await ownTests(app, node24, { REDIS_URL, DATABASE_URL });
    expect(report.numFailedTests).toBe(0);

    const storeFiles = report.testResults.filter((file) => /test\/store\.[a-z]+\.test\.ts$/.test(file.name));
    expect(storeFiles.map((file) => file.name.split('/').pop()).sort()).toEqual(STORE_FILES);
    const cases = report.testResults
      .filter((file) => /test\/store[.-][a-z.]+\.test\.ts$/.test(file.name))
      .flatMap((file) => file.assertionResults);
    // With both services set nothing in the store suites may be skipped.
    expect(
      cases
        .filter((c) => c.status !== 'passed')
        .map((c) => `${c.ancestorTitles.join(' > ')} > ${c.title}: ${c.status}`),
    ).toEqual([]);
    for (const store of CONTRACT_STORES) {
      const passed = cases.filter(
        (c) => c.ancestorTitles[0] === `session store contract: ${store}` && c.status === 'passed',
      );
      expect(passed.length, `contract cases passed for ${store}`).toBe(CONTRACT_CASES);
    }
    const titles = cases.map((c) => c.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'survives a flush of its Redis keys: read-through repopulates Redis',
        'keeps serving from the database while Redis is down, and repopulates it when Redis returns',
      ]),
    );
    expect(titles.some((title) => title.startsWith('recovers when Postgres returns'))).toBe(true);
  });

  it('starts on its built-in defaults: the local Redis in front of a SQLite file, ready', async () => {
    rmSync(join(app, 'data', 'sessions.db'), { force: true });
    // Empty means unset: whatever this shell points the services at, the project's own defaults apply.
    await withServer(
      { REDIS_URL: '', DATABASE_URL: '', REDIS_KEY_PREFIX: `e2e-stores-${process.pid}:` },
      async (base) => {
        const ready = await fetch(`${base}/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ status: 'ready', checks: { 'session-store': { ok: true } } });
      },
    );
    expect(existsSync(join(app, 'data', 'sessions.db'))).toBe(true);
  });

  it('goes 503 on /ready while the configured Postgres is unreachable, 200 with it reachable', async () => {
    const closed = await freePort();
    const down = await withServer({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test` }, async (base) => {
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { 'session-store': { ok: false } } });
      expect((await fetch(`${base}/health`)).status).toBe(200);
    });
    expect(down).toMatch(/session store database \(postgres\) is unavailable/);

    const table = `sessions_e2e_${process.pid}_${Date.now().toString(36)}`;
    try {
      await withServer({ DATABASE_URL, SESSION_TABLE: table }, async (base) => {
        const ready = await fetch(`${base}/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ status: 'ready', checks: { 'session-store': { ok: true } } });
      });
    } finally {
      // Through the project's own pg: this repository does not depend on it.
      const drop = `const c = new (require('pg').Client)(process.env.DATABASE_URL); c.connect().then(() => c.query('DROP TABLE IF EXISTS ${table}')).finally(() => c.end())`;
      await execa(join(node24, 'node'), ['-e', drop], {
        cwd: app,
        env: envWithNode(node24, { DATABASE_URL }),
        stdin: 'ignore',
      });
    }
  });

  it('refuses to start with a store URL it cannot use, naming the variable and what would work', async () => {
    const result = await execa(join(node24, 'node'), ['dist/index.js'], {
      cwd: app,
      env: envWithNode(node24, {
        PORT: '0',
        AUTH_MODE: 'none',
        ENV_FILE: '',
        REDIS_URL: 'http://127.0.0.1:6379',
        DATABASE_URL: 'mysql://127.0.0.1/test',
      }),
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL \(got "http:\/\/127\.0\.0\.1:6379"\)/,
    );
    expect(result.stderr).toMatch(/DATABASE_URL: expected file:path, postgres:\/\/ or postgresql:\/\//);
  });
});
