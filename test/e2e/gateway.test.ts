import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { conformanceSettings, expectConformant } from './conformance.js';
import { generateInstalled, npmOk } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { eventually, freePort, waitForHealth } from './processes.js';
import { SUITE_PROJECTS } from './projects.js';

/**
 * The gateway as a user runs it (on the Redis store, at the local Redis it defaults to): generate,
 * install, run its own suite on Node 22 and 24, then `npm start` it in front of real
 * backends (the example backend over HTTP in its own process and over stdio), drive it with the
 * SDK client, kill and restart a backend, let one hang, stop it with SIGTERM and check that no
 * backend process is left. Finally, verify the checklist.
 */
const work = mkdtempSync(join(tmpdir(), 'e2e-gateway-'));
const app = join(work, 'app');
const API_KEY = 'e2e-gateway-key-0123456789abcdef';
const TAG = `e2e-stdio-${process.pid}-${Date.now()}`;
let node24: string;
let node22: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  [node24, node22] = [await nodeBinDir(24), await nodeBinDir(22)];
  await generateInstalled(work, 'app', [...SUITE_PROJECTS.gateway], node24);
}, 300_000);

/** Processes whose command line carries the tag of this run's stdio backends. */
function stdioProcesses(): number {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(TAG)).length;
}

function kill(child: ResultPromise | undefined): void {
  try {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Wrapped in an object: an async function returning the subprocess itself would wait for it to exit. */
async function startHttpBackend(port: number): Promise<{ child: ResultPromise }> {
  const child = execa('node', ['examples/backends/http-backend.mjs'], {
    cwd: app,
    env: envWithNode(node24, { PORT: String(port), BACKEND_NAME: 'remote' }),
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    void child.then(() => reject(new Error('http backend exited')));
  });
  return { child };
}

const text = (result: Record<string, unknown>) => (result.content as Array<{ text?: string }>)[0]?.text ?? '';

describe('generated gateway project', { timeout: 300_000 }, () => {
  it('passes its own tests on Node 24', async () => {
    expect(await npmOk(app, ['test'], node24, { REDIS_URL: 'redis://127.0.0.1:6379' })).toMatch(/Tests\s+\d+ passed/);
  });

  // The base's suite runs on Node 22 in the single project's test; here the gateway's own suites do.
  it('passes the gateway and transparency suites on Node 22', async () => {
    const out = await npmOk(
      app,
      ['exec', '--', 'vitest', 'run', 'test/gateway.test.ts', 'test/gateway-transparency.test.ts'],
      node22,
      { REDIS_URL: 'redis://127.0.0.1:6379' },
    );
    expect(out).toMatch(/Test Files\s+2 passed/);
  });

  it('serves real HTTP and stdio backends with npm start: calls, sampling, a backend killed and back, a hanging one, no leftovers', async () => {
    const [port, backendPort, hangingPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(app, 'e2e.config.json'),
      JSON.stringify({
        mcpServers: {
          remote: { url: `http://127.0.0.1:${backendPort}/mcp`, timeoutMs: 3000 },
          slow: { url: `http://127.0.0.1:${hangingPort}/mcp`, timeoutMs: 500 },
          local: {
            command: 'node',
            args: ['examples/backends/stdio-backend.mjs', TAG],
            env: { BACKEND_NAME: 'local' },
          },
        },
      }),
    );
    let backend: ResultPromise | undefined = (await startHttpBackend(backendPort)).child;
    const hanging = (await startHttpBackend(hangingPort)).child;
    const gateway = execa('npm', ['start'], {
      cwd: app,
      env: envWithNode(node24, {
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'apikey',
        API_KEYS: API_KEY,
        SESSION_MODE: 'stateful',
        GATEWAY_CONFIG: 'e2e.config.json',
        GATEWAY_BREAKER_THRESHOLD: '2',
        GATEWAY_BREAKER_COOLDOWN_MS: '500',
        GATEWAY_HEALTH_INTERVAL_MS: '250',
        RATE_LIMIT_RPS: '1000',
        ENV_FILE: '',
      }),
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    let stdout = '';
    gateway.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const clients: Client[] = [];
    try {
      await waitForHealth(`http://127.0.0.1:${port}/health`, gateway, 120_000);
      // A 2025 client (a session, the default of the SDK client) unless told to speak 2026-07-28.
      const connect = async (withSampling = false, era: 'legacy' | 'modern' = 'legacy') => {
        const client = new Client(
          { name: 'e2e', version: '1.0.0' },
          {
            capabilities: withSampling ? { sampling: {} } : {},
            versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' },
          },
        );
        if (withSampling)
          client.setRequestHandler('sampling/createMessage', () => ({
            model: 'e2e',
            role: 'assistant',
            content: { type: 'text', text: 'sampled by e2e' },
          }));
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
            requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
          }),
        );
        clients.push(client);
        return client;
      };
      const client = await connect(true);
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} });
        names.push(...page.tools.map((tool) => tool.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(names).toEqual(
        expect.arrayContaining(['remote__echo', 'local__echo', 'slow__hang', 'remote__filler_4', 'local__filler_4']),
      );
      expect(JSON.parse(text(await client.callTool({ name: 'remote__whoami', arguments: {} })))).toMatchObject({
        backend: 'remote',
        authorization: null,
      });
      expect(JSON.parse(text(await client.callTool({ name: 'local__whoami', arguments: {} })))).toMatchObject({
        backend: 'local',
      });
      expect(text(await client.callTool({ name: 'local__sample', arguments: { prompt: 'hi' } }))).toBe(
        'sampled by e2e',
      );
      // A 2026-07-28 client: the backend's input_required passes through the gateway and back.
      const modern = await connect(true, 'modern');
      expect(modern.getProtocolEra()).toBe('modern');
      expect(text(await modern.callTool({ name: 'remote__sample', arguments: { prompt: 'hi' } }))).toBe(
        'sampled by e2e',
      );
      expect(text(await modern.callTool({ name: 'local__sample', arguments: { prompt: 'hi' } }))).toBe(
        'sampled by e2e',
      );
      const progress: number[] = [];
      await client.callTool(
        { name: 'remote__slow', arguments: { steps: 2, ms: 10 } },
        {
          onprogress: (p) => progress.push(p.progress),
        },
      );
      expect(progress).toEqual([1, 2]);

      // A hanging backend times out; the others answer meanwhile.
      const hung = client.callTool({ name: 'slow__hang', arguments: {} }).then(
        () => 'answered',
        (error: Error) => error.message,
      );
      expect(text(await client.callTool({ name: 'local__echo', arguments: { text: 'meanwhile' } }))).toBe('meanwhile');
      expect(await hung).toMatch(/did not answer tools\/call within 500 ms/);

      // A backend killed mid-run: errors for it, answers from the others, the breaker opens.
      kill(backend);
      await backend;
      backend = undefined;
      const failures: string[] = [];
      for (let i = 0; i < 3; i++) {
        failures.push(
          await client.callTool({ name: 'remote__echo', arguments: { text: 'x' } }).then(
            () => 'ok',
            (error: Error) => error.message,
          ),
        );
        expect(text(await client.callTool({ name: 'local__echo', arguments: { text: 'alive' } }))).toBe('alive');
      }
      expect(failures.at(-1)).toMatch(/Backend "remote" is unavailable/);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/mcp_backend_circuit_breaker_state\{backend="remote"\} 2/);
      const ready = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as {
        status: string;
        checks: Record<string, { ok: boolean; state?: string }>;
      };
      expect(ready.status).toBe('ready');
      expect(ready.checks['backend:remote']?.ok).toBe(false);
      expect(ready.checks['backend:local']).toMatchObject({ ok: true, state: 'ready' });

      // Back on the same port: the breaker closes and calls succeed again.
      backend = (await startHttpBackend(backendPort)).child;
      const deadline = Date.now() + 20_000;
      let answer = '';
      while (answer !== 'back' && Date.now() < deadline) {
        answer = await client.callTool({ name: 'remote__echo', arguments: { text: 'back' } }).then(text, () => '');
        if (answer !== 'back') await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(answer).toBe('back');
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
        /mcp_backend_circuit_breaker_state\{backend="remote"\} 0/,
      );

      // Several sessions: one stdio process each, plus the shared one.
      await Promise.all(
        [1, 2, 3].map(async () => (await connect()).callTool({ name: 'local__echo', arguments: { text: 'x' } })),
      );
      expect(stdioProcesses()).toBeGreaterThanOrEqual(4);

      const listening = stdout.split('\n').find((line) => line.includes('"msg":"listening"'));
      process.kill((JSON.parse(listening!) as { pid: number }).pid, 'SIGTERM');
      const ended = await gateway;
      expect(ended.exitCode, stdout.slice(-3000)).toBe(0);
      expect(stdout).toMatch(/shutdown: complete/);
      // The gateway ends its stdio backends on shutdown; they exit on their own clock.
      expect(await eventually(stdioProcesses, (count) => count === 0, 'the stdio backends to exit')).toBe(0);
    } finally {
      for (const client of clients) await client.close().catch(() => {});
      kill(gateway);
      kill(backend);
      kill(hanging);
    }
    expect(stdout).not.toContain(API_KEY);
  });

  it('passes the official conformance suite in both protocol eras, in front of the example stdio backend', async () => {
    const port = await freePort();
    const gateway = execa('npm', ['start'], {
      cwd: app,
      env: envWithNode(node24, {
        PORT: String(port),
        ...conformanceSettings(port),
        ENV_FILE: '',
      }),
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    try {
      await waitForHealth(`http://127.0.0.1:${port}/health`, gateway, 120_000);
      await expectConformant(`http://127.0.0.1:${port}/mcp`, 'gateway');
    } finally {
      kill(gateway);
    }
  });

  it('passes mcp-arch verify checklist', async () => {
    const result = await run('mcpArch', ['verify', 'checklist', '--dir', app, '--format', 'json']);
    const report = JSON.parse(result.stdout) as { results: Array<{ id: string; status: string }> };
    const failed = report.results.filter((r) => r.status === 'fail');
    expect(result.exitCode, JSON.stringify(failed, null, 2)).toBe(0);
    expect(report.results.find((r) => r.id === 'resilience.circuit-breakers')?.status).toBe('pass');
    expect(report.results.find((r) => r.id === 'resilience.connection-retry')?.status).toBe('pass');
  });
});
