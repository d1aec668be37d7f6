import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { conformanceSettings, expectConformant } from './conformance.js';
import { generateInstalled, npmOk } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';

/**
 * The whole path a user walks: generate the single project, install it, run its own tests on
 * Node 22 and 24, start it, call a tool with the SDK client, verify it, stop it. (Every program
 * the generator can write is type-checked by test/templates/typecheck.test.ts.)
 */
const work = mkdtempSync(join(tmpdir(), 'e2e-single-'));
const app = join(work, 'app');
const API_KEY = 'e2e-key-0123456789abcdef';
let node24: string;
let node22: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  [node24, node22] = [await nodeBinDir(24), await nodeBinDir(22)];
  await generateInstalled(work, 'app', ['--pattern', 'single'], node24);
});

describe('generated single project', { timeout: 240_000 }, () => {
  it.each([
    ['24', () => node24],
    ['22', () => node22],
  ])('passes its own tests on Node %s', async (_major, bin) => {
    expect(await npmOk(app, ['test'], bin())).toMatch(/Tests\s+\d+ passed/);
  });

  it('serves MCP with npm start: a tool call through the SDK client, then a clean stop', async () => {
    const port = await freePort();
    const server = execa('npm', ['start'], {
      cwd: app,
      env: envWithNode(node24, {
        PORT: String(port),
        HOST: '127.0.0.1',
        API_KEYS: API_KEY,
        AUTH_MODE: 'apikey',
        LOG_LEVEL: 'info',
      }),
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    let stdout = '';
    server.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await waitForHealth(`http://127.0.0.1:${port}/health`, server);
      // The same tool call from a 2026-07-28 client and from a 2025 client (initialize handshake).
      for (const mode of [{ pin: '2026-07-28' }, 'legacy'] as const) {
        const client = new Client({ name: 'e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
            requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
          }),
        );
        expect(client.getProtocolEra()).toBe(mode === 'legacy' ? 'legacy' : 'modern');
        const { tools } = await client.listTools();
        const echo = tools.find((t) => t.name === 'echo');
        expect(echo, `tools: ${tools.map((t) => t.name).join(', ')}`).toBeDefined();
        const result = await client.callTool({ name: 'echo', arguments: { text: 'hello from e2e' } });
        expect(JSON.stringify(result.content)).toContain('hello from e2e');
        const invalid = await client
          .callTool({ name: 'echo', arguments: { text: 42 } })
          .catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
        expect(invalid.isError).toBe(true);
        await client.close();
      }
      // A client of the v1 SDK line, as the 2025-era hosts in use ship it.
      const v1 = new V1Client({ name: 'e2e-v1', version: '1.0.0' });
      await v1.connect(
        new V1Transport(new URL(`http://127.0.0.1:${port}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
        }),
      );
      const echoed = await v1.callTool({ name: 'echo', arguments: { text: 'hello from a v1 client' } });
      expect(JSON.stringify(echoed.content)).toContain('hello from a v1 client');
      await v1.close();

      const unauthenticated = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Bearer /);

      // SIGTERM goes to the server process itself, as a container runtime sends it to PID 1.
      const listening = stdout.split('\n').find((line) => line.includes('"msg":"listening"'));
      const pid = (JSON.parse(listening!) as { pid: number }).pid;
      process.kill(pid, 'SIGTERM');
      const ended = await server;
      expect(ended.exitCode, stdout.slice(-2000)).toBe(0);
      expect(stdout).toMatch(/shutdown: complete/);
    } finally {
      // Never leave a server behind, whatever failed above.
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    const json = lines.filter((l) => l.startsWith('{'));
    expect(json.length).toBeGreaterThan(0);
    for (const line of json) expect(() => JSON.parse(line)).not.toThrow();
    expect(stdout).not.toContain(API_KEY);
  });

  it('passes the official conformance suite in both protocol eras, started again without compiling again', async () => {
    // The build is incremental: `npm start` after `npm run build` finds nothing changed.
    await npmOk(app, ['run', 'build'], node24);
    const built = statSync(join(app, 'dist', 'index.js')).mtimeMs;
    const port = await freePort();
    const server = execa('npm', ['start'], {
      cwd: app,
      env: envWithNode(node24, { PORT: String(port), ...conformanceSettings(port) }),
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    try {
      await waitForHealth(`http://127.0.0.1:${port}/health`, server);
      expect(statSync(join(app, 'dist', 'index.js')).mtimeMs, 'dist/index.js was written again').toBe(built);
      await expectConformant(`http://127.0.0.1:${port}/mcp`, 'single');
    } finally {
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('passes mcp-arch verify checklist, and fails a copy whose Origin check was removed', async () => {
    const ok = await run('mcpArch', ['verify', 'checklist', '--dir', app, '--format', 'json']);
    const report = JSON.parse(ok.stdout);
    const failed = report.results.filter((r: { status: string }) => r.status === 'fail');
    expect(ok.exitCode, JSON.stringify(failed, null, 2)).toBe(0);
    expect(report.results.find((r: { id: string }) => r.id === 'resilience.backup-recovery').status).toBe('manual');

    const broken = join(work, 'broken');
    cpSync(app, broken, { recursive: true, filter: (src) => !src.includes('node_modules') });
    const appTs = join(broken, 'src', 'app.ts');
    writeFileSync(appTs, readFileSync(appTs, 'utf8').replace(/^.*origin.*$/gim, ''));
    const bad = await run('mcpArch', ['verify', 'checklist', '--dir', broken, '--format', 'json']);
    expect(bad.exitCode).toBe(1);
    const origin = JSON.parse(bad.stdout).results.find((r: { id: string }) => r.id === 'security.origin-validation');
    expect(origin.status).toBe('fail');
  });
});
