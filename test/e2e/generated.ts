import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { expect } from 'vitest';
import { ROOT, run } from '../cli/run-bin.js';
import { envWithNode } from './node-runtime.js';

/**
 * Installed dependency sets shared by the end-to-end projects, one folder per set (keyed by the
 * generated package.json's dependencies and devDependencies), kept between runs.
 */
export const INSTALL_CACHE = process.env.MCP_ARCH_INSTALL_CACHE ?? join(ROOT, '.cache', 'e2e-installs');
/** A shared install older than this is made again, so that newly published transitive releases are met. */
const INSTALL_MAX_AGE_MS = 24 * 60 * 60 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding a lock shared by every vitest worker and run on this machine (a directory
 * made atomically, holding its owner's pid). A lock whose owner died is taken over.
 */
export async function withLock<T>(lock: string, work: () => Promise<T>, timeoutMs = 900_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : NaN);
      // An owner that has not written its pid yet is starting; one that is gone left the lock behind.
      if (Number.isInteger(owner) && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`${lock} is still held by process ${owner} after ${timeoutMs} ms`);
      else await delay(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const sortedEntries = (record: Record<string, string>) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));

/** Names a dependency set: the same packages at the same versions, in any order, give the same key. */
export function dependencySetKey(set: {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}): string {
  const canonical = JSON.stringify([sortedEntries(set.dependencies), sortedEntries(set.devDependencies)]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * Gives a generated project its dependencies as `npm install` would, from one shared install per
 * dependency set: the first project with a set installs it into the cache (with npm's own cache
 * preferred over the network), every project gets its own node_modules tree and lock files.
 * Each project stays separate on disk; only the network install is shared.
 */
export async function installDependencies(dir: string, nodeBin: string): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const set = { dependencies: pkg.dependencies ?? {}, devDependencies: pkg.devDependencies ?? {} };
  const shared = join(INSTALL_CACHE, dependencySetKey(set));
  const complete = join(shared, '.complete');
  mkdirSync(INSTALL_CACHE, { recursive: true });
  await withLock(`${shared}.lock`, async () => {
    if (!existsSync(complete) || Date.now() - statSync(complete).mtimeMs > INSTALL_MAX_AGE_MS) {
      const fresh = `${shared}.${process.pid}.tmp`;
      rmSync(fresh, { recursive: true, force: true });
      mkdirSync(fresh, { recursive: true });
      writeFileSync(
        join(fresh, 'package.json'),
        `${JSON.stringify({ name: 'e2e-install', private: true, ...set }, null, 2)}\n`,
      );
      await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: fresh,
        env: envWithNode(nodeBin),
        stdin: 'ignore',
      });
      writeFileSync(join(fresh, '.complete'), new Date().toISOString());
      rmSync(shared, { recursive: true, force: true });
      renameSync(fresh, shared);
    }
    // Its own folders with hard links to the installed files (a copy across file systems): nothing
    // writes into an installed package's files, while npm rewrites its lock files, which are copied.
    const modules = join(dir, 'node_modules');
    const linked = await execa('cp', ['-al', join(shared, 'node_modules'), modules], { reject: false });
    if (linked.exitCode !== 0) {
      rmSync(modules, { recursive: true, force: true });
      await execa('cp', ['-a', join(shared, 'node_modules'), modules]);
    }
    rmSync(join(modules, '.package-lock.json'), { force: true });
    cpSync(join(shared, 'node_modules', '.package-lock.json'), join(modules, '.package-lock.json'));
    cpSync(join(shared, 'package-lock.json'), join(dir, 'package-lock.json'));
  });
}

/**
 * Generates a project with the real CLI (`mcp-arch generate <name> <args> --yes`) in `work` and
 * gives it its dependencies (see `installDependencies`); returns the project directory.
 */
export async function generateInstalled(work: string, name: string, args: string[], nodeBin: string): Promise<string> {
  const generated = await run('mcpArch', ['generate', name, ...args, '--yes', '--no-install', '--no-git'], {
    cwd: work,
  });
  expect(generated.exitCode, generated.stderr).toBe(0);
  const dir = join(work, name);
  await installDependencies(dir, nodeBin);
  return dir;
}

/**
 * Runs `work` while no other generated project's suite uses the machine's Redis and Postgres,
 * when this project keeps state there: suites of different projects share their rate limit
 * buckets and tables (by design: replicas share them), so two of them at once would count each
 * other's requests. Projects on the memory store run at any time.
 */
export async function withStoreServices<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const manifest = JSON.parse(readFileSync(join(dir, 'mcp-arch.json'), 'utf8')) as { store: string };
  if (manifest.store === 'memory') return work();
  mkdirSync(INSTALL_CACHE, { recursive: true });
  return withLock(join(INSTALL_CACHE, 'store-services.lock'), work);
}

/**
 * Runs `npm <args>` in a generated project with the given Node; unless it exits 0 the test fails,
 * showing the end of its output. A suite must also leave nothing behind (cleanSuite). Returns
 * stdout without colours.
 */
export async function npmOk(
  dir: string,
  args: string[],
  nodeBin: string,
  env: Record<string, string> = {},
): Promise<string> {
  const npm = (extra: Record<string, string> = {}) =>
    execa('npm', args, { cwd: dir, env: envWithNode(nodeBin, { ...env, ...extra }), reject: false, stdin: 'ignore' });
  // A suite (npm test, or vitest through npm exec) talks to the stores; type-checks and builds do not.
  const suite = args[0] === 'test' || (args[0] === 'exec' && args.includes('vitest'));
  const { result, expectNothingLeft } = suite
    ? await cleanSuite(dir, npm)
    : { result: await npm(), expectNothingLeft: () => {} };
  const stdout = stripVTControlCharacters(result.stdout);
  expect(result.exitCode, stdout.slice(-6000) + result.stderr.slice(-2000)).toBe(0);
  expectNothingLeft();
  return stdout;
}

/** What tools keep in the temporary folder between runs (Node's compile cache, tsx's): not left by a test. */
const TEMP_CACHES = /^(?:node-compile-cache|tsx-\d+)$/;

/**
 * Runs a generated project's suite with a temporary folder of its own (TMPDIR), with the store
 * services held (withStoreServices). `expectNothingLeft` then checks that the suite removed what it
 * made there, and changed nothing in the project's data folder, where the project's own server
 * keeps its SQLite file: a user's `npm test` must not fill /tmp, or write into the app's data.
 */
async function cleanSuite<T>(
  dir: string,
  run: (env: Record<string, string>) => Promise<T>,
): Promise<{ result: T; expectNothingLeft(): void }> {
  const data = () => (existsSync(join(dir, 'data')) ? readdirSync(join(dir, 'data')).sort() : []);
  const dataBefore = data();
  const temp = mkdtempSync(join(tmpdir(), 'suite-tmp-'));
  try {
    const result = await withStoreServices(dir, () => run({ TMPDIR: temp }));
    const left = readdirSync(temp).filter((name) => !TEMP_CACHES.test(name));
    const dataAfter = data();
    return {
      result,
      expectNothingLeft: () => {
        expect(left, 'what the suite left in its temporary folder').toEqual([]);
        expect(dataAfter, "files the suite left in the project's data folder").toEqual(dataBefore);
      },
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Vitest's JSON report, the parts the tests read. */
export interface VitestReport {
  numFailedTests: number;
  testResults: Array<{
    name: string;
    assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string; failureMessages?: string[] }>;
  }>;
}

/**
 * Runs a generated project's own suite (`npm test`) with the given Node and a JSON report. Unless
 * it exits 0 the test fails, naming the failed cases with their messages (or showing the end of
 * the output when there is no report), and unless it leaves nothing behind (cleanSuite). Returns
 * stdout without colours and the report.
 */
export async function ownTests(
  dir: string,
  nodeBin: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; report: VitestReport }> {
  const reportDir = mkdtempSync(join(tmpdir(), 'vitest-report-'));
  const reportFile = join(reportDir, 'report.json');
  try {
    const { result, expectNothingLeft } = await cleanSuite(dir, (temp) =>
      execa('npm', ['test', '--', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`], {
        cwd: dir,
        env: envWithNode(nodeBin, { ...env, ...temp }),
        reject: false,
        stdin: 'ignore',
      }),
    );
    const report: VitestReport = existsSync(reportFile)
      ? JSON.parse(readFileSync(reportFile, 'utf8'))
      : { numFailedTests: -1, testResults: [] };
    const failures = report.testResults.flatMap((file) =>
      file.assertionResults
        .filter((c) => c.status === 'failed')
        .map((c) => `${c.title}: ${(c.failureMessages ?? []).join('\n').slice(0, 3000)}`),
    );
    expect(result.exitCode, failures.join('\n\n') || result.stdout.slice(-4000) + result.stderr.slice(-2000)).toBe(0);
    expectNothingLeft();
    return { stdout: stripVTControlCharacters(result.stdout), report };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}
