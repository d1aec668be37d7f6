import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { generateInstalled, npmOk, ownTests } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';

/**
 * A single project with the database store: its own contract suite runs against every store
 * on the real Redis and Postgres of this machine, and its /ready follows the database.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Stores the generated contract suite runs against, as named in its describe blocks. */
const CONTRACT_STORES = ['memory', 'sqlite', 'hybrid, Redis unreachable (sqlite)', 'redis', 'postgres', 'hybrid (Redis + postgres)'];
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
    env: envWithNode(node24, { PORT: String(port), HOST: '127.0.0.1', AUTH_MODE: 'none', LOG_LEVEL: 'info', ENV_FILE: '', ...env }),
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
  await generateInstalled(work, 'app', ['--pattern', 'single', '--store', 'database'], node24);
  await execa('npm', ['run', 'build'], { cwd: app, env: envWithNode(node24), stdin: 'ignore' });
});

describe('generated single project with the database store', { timeout: 240_000 }, () => {
  it('carries the store clients, which a memory project does not', async () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['ioredis', 'pg']));
    expect(readFileSync(join(app, '.env.example'), 'utf8')).toMatch(/^SESSION_STORE=database$/m);

    const memory = await run('mcpArch', ['generate', 'plain', '--pattern', 'single', '--yes', '--no-install', '--no-git'], { cwd: work });
    expect(memory.exitCode, memory.stderr).toBe(0);
    const plain = JSON.parse(readFileSync(join(work, 'plain', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys({ ...plain.dependencies, ...plain.devDependencies })).not.toEqual(expect.arrayContaining(['ioredis']));
    expect(Object.keys({ ...plain.dependencies, ...plain.devDependencies }).filter((name) => /ioredis|^pg$|@types\/pg/.test(name))).toEqual([]);
    expect(existsSync(join(work, 'plain', 'src', 'store'))).toBe(false);
  });

  it('type-checks', async () => {
    await npmOk(app, ['run', 'typecheck'], node24);
  });

  it('passes its own tests with Redis and Postgres: the contract ran against every store', async () => {
    const { report } = await ownTests(app, node24, { REDIS_URL, DATABASE_URL });
    expect(report.numFailedTests).toBe(0);

    const storeFiles = report.testResults.filter((file) => /test\/store\.[a-z]+\.test\.ts$/.test(file.name));
    expect(storeFiles).toHaveLength(2);
    const cases = storeFiles.flatMap((file) => file.assertionResults);
    // With both services set nothing in the store suites may be skipped.
    expect(cases.filter((c) => c.status !== 'passed').map((c) => `${c.ancestorTitles.join(' > ')} > ${c.title}: ${c.status}`)).toEqual([]);
    for (const store of CONTRACT_STORES) {
      const passed = cases.filter((c) => c.ancestorTitles[0] === `session store contract: ${store}` && c.status === 'passed');
      expect(passed.length, `contract cases passed for ${store}`).toBe(CONTRACT_CASES);
    }
    const titles = cases.map((c) => c.title);
    expect(titles).toEqual(expect.arrayContaining([
      'survives a flush of its Redis keys: read-through repopulates Redis',
      'keeps serving from the database while Redis is down, and repopulates it when Redis returns',
    ]));
    expect(titles.some((title) => title.startsWith('recovers when Postgres returns'))).toBe(true);
  });

  it('goes 503 on /ready while the configured Postgres is unreachable, 200 with it reachable', async () => {
    const closed = await freePort();
    const down = await withServer({ SESSION_STORE: 'database', DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test` }, async (base) => {
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { 'session-store': { ok: false } } });
      expect((await fetch(`${base}/health`)).status).toBe(200);
    });
    expect(down).toMatch(/session store database \(postgres\) is unavailable/);

    const table = `sessions_e2e_${process.pid}_${Date.now().toString(36)}`;
    try {
      await withServer({ SESSION_STORE: 'database', DATABASE_URL, SESSION_TABLE: table }, async (base) => {
        const ready = await fetch(`${base}/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ status: 'ready', checks: { 'session-store': { ok: true } } });
      });
    } finally {
      // Through the project's own pg: this repository does not depend on it.
      const drop = `const c = new (require('pg').Client)(process.env.DATABASE_URL); c.connect().then(() => c.query('DROP TABLE IF EXISTS ${table}')).finally(() => c.end())`;
      await execa(join(node24, 'node'), ['-e', drop], { cwd: app, env: envWithNode(node24, { DATABASE_URL }), stdin: 'ignore' });
    }
  });

  it('refuses to start with a store it cannot configure, naming the variable', async () => {
    const result = await execa(join(node24, 'node'), ['dist/index.js'], {
      cwd: app,
      env: envWithNode(node24, { PORT: '0', AUTH_MODE: 'none', ENV_FILE: '', SESSION_STORE: 'redis', REDIS_URL: '' }),
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/REDIS_URL: required when SESSION_STORE=redis/);
  });
});
