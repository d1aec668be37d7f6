import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { generateInstalled, ownTests } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { waitForHealth } from './processes.js';

/**
 * The multi-region project end to end: generate it, install it, run its own suite (three regions
 * as processes per protocol era: a 2026-07-28 client of stateless regions, a 2025 client of
 * regions keeping sessions in the real Postgres), then run three built regions and its example
 * client (`dist/client/cli.js watch`) against them: the client speaks 2026-07-28, picks the
 * nearest region, survives that region's death, and returns when it is back.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const API_KEY = 'e2e-region-key-0123456789abcdef';
const LAYOUT = [
  { name: 'us-east', delayMs: 60 },
  { name: 'eu-west', delayMs: 5 },
  { name: 'ap-southeast', delayMs: 30 },
];

const work = mkdtempSync(join(tmpdir(), 'e2e-multi-region-'));
const app = join(work, 'app');
const table = `mcp_sessions_e2e_regions_${process.pid}_${Date.now().toString(36)}`;
let node24: string;

interface DelayProxy {
  url: string;
  retarget(port: number): void;
  close(): Promise<void>;
}

afterAll(async () => {
  if (node24 && existsSync(join(app, 'node_modules', 'pg'))) {
    // Through the project's own pg: this repository does not depend on it.
    const drop = `const c = new (require('pg').Client)(process.env.DATABASE_URL); c.connect().then(() => c.query('DROP TABLE IF EXISTS ${table}')).finally(() => c.end())`;
    await execa(join(node24, 'node'), ['-e', drop], {
      cwd: app,
      env: envWithNode(node24, { DATABASE_URL }),
      stdin: 'ignore',
      reject: false,
    });
  }
  rmSync(work, { recursive: true, force: true });
});

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  await generateInstalled(work, 'app', ['--pattern', 'multi-region', '--store', 'database'], node24);
  await execa('npm', ['run', 'build'], { cwd: app, env: envWithNode(node24), stdin: 'ignore' });
}, 300_000);

/** A built region: `node dist/index.js` with its REGION, sessions in the shared Postgres table. */
function startRegion(name: string): { process: ResultPromise; port: Promise<number>; output: () => string } {
  const child = execa(join(node24, 'node'), ['dist/index.js'], {
    cwd: app,
    env: envWithNode(node24, {
      PORT: '0',
      HOST: '127.0.0.1',
      ENV_FILE: '',
      REGION: name,
      AUTH_MODE: 'apikey',
      API_KEYS: API_KEY,
      SESSION_MODE: 'stateful',
      DATABASE_URL,
      SESSION_TABLE: table,
      RATE_LIMIT_RPS: '0',
    }),
    reject: false,
    stdin: 'ignore',
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const match =
        /"msg":"listening".*?"url":"http:\/\/127\.0\.0\.1:(\d+)"|"url":"http:\/\/127\.0\.0\.1:(\d+)".*?"msg":"listening"/.exec(
          output,
        );
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1] ?? match[2]));
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`region ${name} exited: ${output}`));
      }
    }, 50);
  });
  return { process: child, port, output: () => output };
}

interface WatchLine {
  event?: string;
  call?: number;
  ok?: boolean;
  region?: string;
  servedBy?: string;
  era?: string;
  sessionId?: string;
  reason?: string;
  at: number;
}

describe('generated multi-region project', { timeout: 300_000 }, () => {
  it('passes its own tests, including three regions as processes in each era (2025 sessions in Postgres)', async () => {
    const { stdout, report } = await ownTests(app, node24, { DATABASE_URL });
    expect(report.numFailedTests).toBe(0);
    const regions = report.testResults.find((file) => file.name.endsWith('test/multi-region.test.ts'));
    expect(regions, 'test/multi-region.test.ts ran').toBeDefined();
    expect(regions!.assertionResults.every((c) => c.status === 'passed' || c.status === 'skipped')).toBe(true);
    const passed = (era: RegExp) =>
      regions!.assertionResults.filter((c) => c.status === 'passed' && era.test(c.ancestorTitles[0] ?? '')).length;
    expect(passed(/2026-07-28 client, stateless regions/)).toBeGreaterThanOrEqual(9);
    expect(passed(/2025 client, sessions in Postgres/)).toBeGreaterThanOrEqual(10);
    for (const name of ['test/retry-rule.test.ts', 'test/failover-eras.test.ts']) {
      const file = report.testResults.find((result) => result.name.endsWith(name));
      expect(file?.assertionResults.length, `${name} ran`).toBeGreaterThan(0);
      expect(file!.assertionResults.every((c) => c.status === 'passed')).toBe(true);
    }
    for (const era of ['modern', 'legacy']) {
      const failover = new RegExp(`\\[${era}\\] failover: .*`).exec(stdout)?.[0];
      expect(failover, `${era} failover line`).toBeDefined();
      console.log(`generated suite: ${failover}`);
      console.log(`generated suite: ${new RegExp(`\\[${era}\\] failover of an in-flight call: .*`).exec(stdout)?.[0]}`);
      console.log(`generated suite: ${new RegExp(`\\[${era}\\] failover on timeout: .*`).exec(stdout)?.[0]}`);
    }
  });

  it('three built regions and the example client: nearest region, failover on loss, return on recovery', async () => {
    const { delayProxy } = (await import(pathToFileURL(join(app, 'test', 'delay-proxy.ts')).href)) as {
      delayProxy: (port: number, delayMs: number) => Promise<DelayProxy>;
    };
    const regions = LAYOUT.map((r) => ({
      ...r,
      server: startRegion(r.name),
      proxy: undefined as DelayProxy | undefined,
    }));
    let watcher: ResultPromise | undefined;
    try {
      for (const region of regions) {
        region.proxy = await delayProxy(await region.server.port, region.delayMs);
        await waitForHealth(`${region.proxy.url}/health`, region.server.process);
        // Deployed regions are warm: a fresh process's first requests would distort the latency ranking.
        for (let i = 0; i < 5; i += 1) await (await fetch(`${region.proxy.url}/health`)).text();
      }
      const regionsFile = join(work, 'regions.local.json');
      writeFileSync(
        regionsFile,
        JSON.stringify({
          regions: regions.map((r) => ({ name: r.name, url: `${r.proxy!.url}/mcp` })),
          headers: { Authorization: 'Bearer ${MCP_API_KEY}' },
          timings: {
            probeTimeoutMs: 1000,
            requestTimeoutMs: 5000,
            connectTimeoutMs: 3000,
            reprobeIntervalMs: 500,
            switchMarginMs: 10,
            coolDownMs: 500,
            maxCoolDownMs: 2000,
          },
        }),
      );

      const probe = await execa(join(node24, 'node'), ['dist/client/cli.js', 'probe', '--regions', regionsFile], {
        cwd: app,
        env: envWithNode(node24, { MCP_API_KEY: API_KEY }),
        reject: false,
        stdin: 'ignore',
      });
      expect(probe.exitCode, probe.stderr).toBe(0);
      const ranking = (
        JSON.parse(probe.stdout.trim().split('\n').at(-1)!) as { ranking: Array<{ name: string; healthy: boolean }> }
      ).ranking;
      expect(ranking.map((r) => r.name)).toEqual(['eu-west', 'ap-southeast', 'us-east']);

      watcher = execa(
        join(node24, 'node'),
        ['dist/client/cli.js', 'watch', 'echo', '{"text":"ping"}', '--interval', '50', '--regions', regionsFile],
        {
          cwd: app,
          env: envWithNode(node24, { MCP_API_KEY: API_KEY }),
          reject: false,
          stdin: 'ignore',
        },
      );
      const lines: WatchLine[] = [];
      let buffered = '';
      watcher.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const complete = buffered.split('\n');
        buffered = complete.pop()!;
        for (const line of complete.filter(Boolean))
          lines.push({ ...(JSON.parse(line) as object), at: performance.now() });
      });
      const waitLine = async (match: (line: WatchLine) => boolean, after: number, what: string) => {
        const deadline = performance.now() + 20_000;
        for (;;) {
          const found = lines.find((line) => line.at >= after && match(line));
          if (found) return found;
          if (performance.now() > deadline || watcher!.exitCode !== null)
            throw new Error(`no ${what}; client said:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };

      const first = await waitLine((l) => l.ok === true, 0, 'first successful call');
      // The regions also keep 2025 sessions (SESSION_MODE=stateful); the client negotiates 2026-07-28 first.
      expect(first).toMatchObject({ region: 'eu-west', servedBy: 'eu-west', era: 'modern' });
      expect(first.sessionId).toBeUndefined();

      const eu = regions[1]!;
      const killedAt = performance.now();
      eu.server.process.kill('SIGKILL');
      const after = await waitLine(
        (l) => l.ok === true && l.region !== 'eu-west',
        killedAt,
        'successful call after the loss of eu-west',
      );
      const failoverMs = after.at - killedAt;
      console.log(
        `example client: eu-west killed -> next successful call (in ${after.region}) after ${failoverMs.toFixed(0)} ms (calls every 50 ms)`,
      );
      expect(after).toMatchObject({ region: 'ap-southeast', servedBy: 'ap-southeast', era: 'modern' });
      // No call between the loss and the failover failed: the lost calls (echo is read-only) were repeated elsewhere.
      expect(lines.filter((l) => l.at >= killedAt && l.ok === false)).toEqual([]);
      expect(lines.some((l) => l.event === 'region-down' && l.region === 'eu-west')).toBe(true);

      const restarted = startRegion('eu-west');
      eu.server = restarted;
      eu.proxy!.retarget(await restarted.port);
      const backAt = performance.now();
      const back = await waitLine((l) => l.ok === true && l.region === 'eu-west', backAt, 'return to eu-west');
      console.log(
        `example client: eu-west restarted -> calls served there again after ${(back.at - backAt).toFixed(0)} ms (process start, breaker cool-down <= 1 s, re-probe every 500 ms)`,
      );
      expect(back.servedBy).toBe('eu-west');
      expect(
        lines.some((l) => l.event === 'connected' && l.region === 'eu-west' && l.reason === 'preferred-region'),
      ).toBe(true);

      watcher.kill('SIGTERM');
      const ended = await watcher;
      expect(ended.exitCode, String(ended.stderr)).toBe(0);
    } finally {
      if (watcher && watcher.exitCode === null) watcher.kill('SIGKILL');
      for (const region of regions) {
        if (region.server.process.exitCode === null) region.server.process.kill('SIGKILL');
        await region.proxy?.close();
      }
    }
  });

  it('passes mcp-arch verify checklist', async () => {
    const result = await run('mcpArch', ['verify', 'checklist', '--dir', app, '--format', 'json']);
    const report = JSON.parse(result.stdout) as { results?: Array<{ id: string; status: string; message?: string }> };
    const failed = (report.results ?? []).filter((r) => r.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(0);
  });
});
