import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { delayProxy, type DelayProxy } from './delay-proxy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const API_KEY = 'region-test-key-0123456789abcdef';

/** One "region": a real server process with REGION set, reached through a delay proxy. */
export interface LocalRegion {
  name: string;
  delayMs: number;
  proxy: DelayProxy;
  /** The MCP endpoint through the proxy. */
  mcpUrl: string;
  process?: ChildProcess;
  /** Output of the current process, for failure messages. */
  output(): string;
}

/**
 * Where the regions keep sessions: the Postgres of DATABASE_URL when set (one table shared by all
 * regions, like a global CockroachDB), otherwise a SQLite file per region.
 */
function storeEnv(name: string, dataDir: string, table: string): Record<string, string> {
  const url = process.env.DATABASE_URL ?? '';
  if (/^postgres(ql)?:\/\//.test(url)) return { DATABASE_URL: url, SESSION_TABLE: table };
  return { DATABASE_URL: `file:${join(dataDir, `${name}.db`)}`, SESSION_TABLE: table };
}

export const usesPostgres = () => /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');

/** A JSON log line, or undefined for anything else (including a line still being written). */
function parseLogLine(line: string): { msg?: string; url?: string } | undefined {
  try {
    return JSON.parse(line) as { msg?: string; url?: string };
  } catch {
    return undefined;
  }
}

/**
 * A deployed region is warm; a fresh process pays for lazy compilation on its first requests,
 * which would distort the first latency probes on a busy machine.
 */
async function warmUp(port: number): Promise<void> {
  for (let i = 0; i < 5; i += 1) await (await fetch(`http://127.0.0.1:${port}/health`)).text();
}

/** Starts `src/index.ts` in its own process, as `npm start` would, and resolves its port once it listens and is warm. */
async function startProcess(region: LocalRegion, env: Record<string, string>): Promise<number> {
  const port = await spawnRegion(region, env);
  await warmUp(port);
  return port;
}

async function spawnRegion(region: LocalRegion, env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ENV_FILE: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  region.process = child;
  let output = '';
  region.output = () => output;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`region ${region.name} did not start in time:\n${output}`)), 30_000);
    const onData = () => {
      const listening = output
        .split('\n')
        .map((line) => parseLogLine(line))
        .find((line) => line?.msg === 'listening');
      if (!listening?.url) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(Number(new URL(listening.url).port));
    };
    child.stdout!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`region ${region.name} could not be started: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`region ${region.name} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

export interface LocalRegions {
  regions: LocalRegion[];
  get(name: string): LocalRegion;
  /** SIGKILL: the region vanishes without a goodbye, like a lost data centre. */
  kill(name: string): Promise<void>;
  /** SIGSTOP: the region hangs, accepting connections but never answering. */
  freeze(name: string): void;
  /** SIGCONT: a frozen region carries on. */
  thaw(name: string): void;
  /** A fresh process for the region (new port; the proxy follows it). */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts one server process per region, each behind a proxy adding that region's delay. */
export async function startRegions(layout: Array<{ name: string; delayMs: number }>, extraEnv: Record<string, string> = {}): Promise<LocalRegions> {
  const dataDir = mkdtempSync(join(tmpdir(), 'regions-'));
  const table = `mcp_sessions_regions_${process.pid}_${Date.now().toString(36)}`;
  const env = (name: string) => ({
    REGION: name,
    AUTH_MODE: 'apikey',
    API_KEYS: API_KEY,
    SESSION_MODE: 'stateful',
    RATE_LIMIT_RPS: '0',
    ...storeEnv(name, dataDir, table),
    ...extraEnv,
  });
  const regions: LocalRegion[] = [];
  const stop = async () => {
    for (const region of regions) {
      if (region.process && region.process.exitCode === null && region.process.signalCode === null) region.process.kill('SIGKILL');
      await region.proxy.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (usesPostgres()) {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await client.end();
      }
    }
  };
  try {
    await Promise.all(
      layout.map(async ({ name, delayMs }) => {
        const proxy = await delayProxy(1, delayMs);
        const region: LocalRegion = { name, delayMs, proxy, mcpUrl: `${proxy.url}/mcp`, output: () => '' };
        regions.push(region);
        proxy.retarget(await startProcess(region, env(name)));
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const get = (name: string) => {
    const region = regions.find((r) => r.name === name);
    if (!region) throw new Error(`no region ${name}`);
    return region;
  };
  return {
    regions,
    get,
    kill: async (name) => {
      const child = get(name).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    freeze: (name) => void get(name).process?.kill('SIGSTOP'),
    thaw: (name) => void get(name).process?.kill('SIGCONT'),
    restart: async (name) => {
      const region = get(name);
      region.proxy.retarget(await startProcess(region, env(name)));
    },
    stop,
  };
}
