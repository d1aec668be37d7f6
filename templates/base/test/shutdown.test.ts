import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, OWN_STORE_KEYS, waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CANARY = 'canary-key-7d3f0b9e2a6c4e18';

interface Child {
  process: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The real entry point (`src/index.ts`) in its own process, as `npm start` would run it. */
function spawnServer(env: Record<string, string>): { process: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    // ENV_FILE= keeps a developer's own .env out of the test.
    // GATEWAY_CONFIG: a gateway project's suite names the servers file its servers use.
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ENV_FILE: '', ...OWN_STORE_KEYS, ...(process.env.GATEWAY_CONFIG ? { GATEWAY_CONFIG: process.env.GATEWAY_CONFIG } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function startChild(env: Record<string, string>): Promise<Child> {
  const child = spawnServer(env);
  // Compiled by tsx on start: on a loaded machine that alone can take several seconds.
  await waitFor(() => child.stdout().includes('"msg":"listening"') || child.process.exitCode !== null, { timeoutMs: 30_000 });
  const listening = child
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg?: string; url?: string })
    .find((line) => line.msg === 'listening');
  if (!listening?.url) throw new Error(`server did not start: ${child.stderr()}`);
  return { ...child, url: listening.url };
}

async function readyStatus(url: string): Promise<number | undefined> {
  try {
    return (await fetch(`${url}/ready`)).status;
  } catch {
    return undefined;
  }
}

describe('graceful shutdown', { timeout: 60_000 }, () => {
  it('on SIGTERM turns readiness 503, finishes the in-flight tool call and exits 0', async () => {
    const server = await startChild({ AUTH_MODE: 'apikey', API_KEYS: CANARY, SHUTDOWN_DELAY_MS: '300' });
    expect(await readyStatus(server.url)).toBe(200);
    const client = await connectClient(`${server.url}/mcp`, { authorization: `Bearer ${CANARY}` });

    let signalled = false;
    const call = client.callTool({ name: 'slow_count', arguments: { steps: 6, intervalMs: 150 } }, {
      onprogress: () => {
        if (signalled) return;
        signalled = true;
        server.process.kill('SIGTERM');
      },
    });

    await waitFor(() => signalled);
    await waitFor(async () => (await readyStatus(server.url)) === 503, { timeoutMs: 2000, intervalMs: 20 });

    const result = await call;
    expect(result.content).toEqual([{ type: 'text', text: 'Counted to 6' }]);
    expect(await server.exit).toBe(0);
    await client.close().catch(() => undefined);

    const lines = server.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutdown: draining', 'shutdown: complete']));
    expect(lines.filter((line) => line.msg === 'request').every((line) => typeof line.requestId === 'string')).toBe(true);
    expect(server.stdout() + server.stderr()).not.toContain(CANARY);
    expect(await readyStatus(server.url)).toBeUndefined();
  });

  it('exits non-zero when draining exceeds SHUTDOWN_TIMEOUT_MS', async () => {
    const server = await startChild({ AUTH_MODE: 'none', SHUTDOWN_TIMEOUT_MS: '300' });
    const client = await connectClient(`${server.url}/mcp`);
    let signalled = false;
    const call = client.callTool({ name: 'slow_count', arguments: { steps: 20, intervalMs: 200 } }, {
      onprogress: () => {
        if (signalled) return;
        signalled = true;
        server.process.kill('SIGTERM');
      },
    });
    call.catch(() => undefined);
    const started = Date.now();
    await waitFor(() => signalled, { timeoutMs: 5000 });
    expect(await server.exit).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.stdout()).toContain('shutdown: timed out while draining');
  });
});

describe('start-up', { timeout: 60_000 }, () => {
  it('exits non-zero with a message naming the bad variable', async () => {
    const child = spawnServer({ PORT: 'eighty' });
    expect(await child.exit).toBe(1);
    expect(child.stderr()).toMatch(/PORT: /);
  });

  it('reads ENV_FILE, with the real environment taking precedence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-file-'));
    try {
      const file = join(dir, 'test.env');
      writeFileSync(file, 'SESSION_MODE=sticky\nPORT=eighty\n');
      const child = spawnServer({ ENV_FILE: file, PORT: '0' });
      expect(await child.exit).toBe(1);
      expect(child.stderr()).toMatch(/SESSION_MODE: expected one of: stateless, stateful/);
      expect(child.stderr()).not.toMatch(/PORT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
