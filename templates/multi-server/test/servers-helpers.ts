import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { tempDir } from './own.js';

/** The project root: stdio servers and the agent run from here, with tsx compiling the sources. */
export const ROOT = resolve(import.meta.dirname, '..');
const TSX = ['--import', 'tsx'];

/** A stdio server entry of a servers file, run from the sources (no build needed). */
export function stdioEntry(server: 'notes' | 'text', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: process.execPath, args: [...TSX, `src/servers/${server}/main.ts`], cwd: ROOT, env: { LOG_LEVEL: 'info' }, ...extra };
}

export function writeServersFile(servers: Record<string, unknown>): string {
  const dir = tempDir('mcp-servers');
  const file = join(dir, 'mcp-servers.json');
  writeFileSync(file, JSON.stringify({ mcpServers: servers }, null, 2));
  return file;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface UnitsProcess {
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL: the server vanishes without closing anything, as a crash would. */
  kill(): Promise<void>;
}

/**
 * The units server as its own process (`src/servers/units/main.ts`), answering once `/health` does.
 * `MCP_PROTOCOL=modern` in `env` makes it a server that speaks only 2026-07-28.
 */
export function startUnits(port?: number, env: Record<string, string> = {}): Promise<UnitsProcess> {
  return startHttpProcess('units server', 'src/servers/units/main.ts', 'UNITS_PORT', port, { HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUTH_MODE: 'none', ENV_FILE: '', ...env });
}

/** A server that speaks only the 2025 protocol, with sessions (`test/fixtures/legacy-server.ts`, on the v1 SDK). */
export function startLegacy(port?: number): Promise<UnitsProcess> {
  return startHttpProcess('2025-only server', 'test/fixtures/legacy-server.ts', 'PORT', port, {});
}

async function startHttpProcess(label: string, entry: string, portVariable: string, port: number | undefined, env: Record<string, string>): Promise<UnitsProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [...TSX, entry], {
    cwd: ROOT,
    env: { ...process.env, [portVariable]: String(chosen), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  const base = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`${label} did not answer on ${base} in time: ${stderr}`);
    }
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port: chosen, url: `${base}/mcp`, child, kill };
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, { timeoutMs = 10_000, intervalMs = 50 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Output and exit code of one agent command, run in this process exactly as the CLI runs it. */
export async function agent(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const { runAgent } = await import('../src/agent/cli.js');
  let stdout = '';
  let stderr = '';
  const code = await runAgent(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env });
  return { code, stdout, stderr };
}
