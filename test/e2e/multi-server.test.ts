import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { conformanceSettings, expectConformant, REFERENCE_TOOL_CHECKS } from './conformance.js';
import { generateInstalled, npmOk } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';
import { SUITE_PROJECTS } from './projects.js';

/**
 * The multi-server project as a user meets it: generate, install, run its own suite
 * (real servers over HTTP and stdio, one killed mid-run, a 2026-07-28-only and a 2025-only server
 * aggregated side by side), build, start the HTTP example server, drive the agent from the
 * README's commands, kill a server, verify the checklist.
 */
const work = mkdtempSync(join(tmpdir(), 'e2e-multi-server-'));
const app = join(work, 'app');
let node24: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  await generateInstalled(work, 'app', [...SUITE_PROJECTS['multi-server']], node24);
}, 300_000);

/** The key the README has the user give the units server and the agent (mcp-servers.json sends ${UNITS_API_KEY}). */
const UNITS_API_KEY = 'e2e-units-key-0123456789abcdef';

/** `npm run --silent agent -- ...` as the README shows it (--silent keeps npm's banner out of stdout). */
function agent(args: string[]) {
  return execa('npm', ['run', '--silent', 'agent', '--', ...args], {
    cwd: app,
    env: envWithNode(node24, { UNITS_API_KEY }),
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
}

/** Processes started from the project's dist/servers that are still alive (the agent must leave none). */
function leftoverServers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (args.includes('dist/servers/') && readlinkSync(`/proc/${pid}/cwd`) === app) found.push(`${pid}: ${args}`);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

describe('generated multi-server project', { timeout: 300_000 }, () => {
  it('passes its own tests on Node 24, including the multi-server and agent suites', async () => {
    const out = await npmOk(app, ['test', '--', '--reporter=verbose'], node24);
    expect(out).toMatch(/Tests\s+\d+ passed/);
    expect(out).toMatch(/keeps the others working when one server is killed/);
    expect(out).toMatch(/detects two servers exposing the same name/);
    expect(out).toMatch(/rejects a bad servers file/);
    // Both protocol eras: the example servers in each, and the agent's library with a server of each.
    expect(out).toMatch(/answers tool calls with structured content.*\(modern era\)/);
    expect(out).toMatch(/answers tool calls with structured content.*\(legacy era\)/);
    expect(out).toMatch(/aggregates both and calls each in its own era/);
    expect(out).toMatch(/after a restart, reconnects to each/);
  });

  it('runs the README flow: build, start the HTTP server, list, call one tool per server, status; a killed server is reported down', async () => {
    const build = await execa('npm', ['run', 'build'], { cwd: app, env: envWithNode(node24), reject: false });
    expect(build.exitCode, build.stdout + build.stderr).toBe(0);
    const port = await freePort();
    // The user's edit: the HTTP server on a free port instead of 3101.
    const serversFile = join(app, 'mcp-servers.json');
    writeFileSync(
      serversFile,
      readFileSync(serversFile, 'utf8').replace('http://127.0.0.1:3101/mcp', `http://127.0.0.1:${port}/mcp`),
    );
    const units = execa('npm', ['run', 'server:units'], {
      cwd: app,
      env: envWithNode(node24, {
        UNITS_PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'apikey',
        API_KEYS: UNITS_API_KEY,
        LOG_LEVEL: 'info',
      }),
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    let unitsLog = '';
    units.stdout!.on('data', (chunk: Buffer) => (unitsLog += chunk.toString()));
    try {
      await waitForHealth(`http://127.0.0.1:${port}/health`, units);

      const list = await agent(['list']);
      expect(list.exitCode, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^units__convert\s+units\s+ready/m);
      expect(list.stdout).toMatch(/^notes__add_note\s+notes\s+ready/m);
      expect(list.stdout).toMatch(/^text__word_count\s+text\s+ready/m);
      expect(list.stdout).toMatch(/^-\s+main\s+disabled/m);

      const converted = await agent(['call', 'units__convert', '{"value":10,"from":"km","to":"mi"}']);
      expect(converted.exitCode, converted.stderr).toBe(0);
      expect(converted.stdout).toBe('10 km = 6.21371192237 mi');
      const added = await agent([
        'call',
        'notes__add_note',
        '{"title":"Groceries","body":"milk, eggs","tags":["home"]}',
      ]);
      expect(added.exitCode, added.stderr).toBe(0);
      // Notes persist in data/notes.json next to mcp-servers.json, across agent runs.
      const found = await agent(['call', 'notes__search_notes', '{"query":"eggs"}']);
      expect(found.stdout).toMatch(/Groceries \(home\)/);
      expect(JSON.parse(readFileSync(join(app, 'data', 'notes.json'), 'utf8'))).toHaveLength(1);
      const counted = await agent(['call', 'text__word_count', '{"text":"Hello there. How are you?"}']);
      expect(counted).toMatchObject({ exitCode: 0, stdout: '5 words, 25 characters, 1 lines, 2 sentences' });

      const status = await agent(['status']);
      expect(status.exitCode, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^units\s+http\s+ready\s+2/m);

      const badJson = await agent(['call', 'text__word_count', '{oops']);
      expect(badJson.exitCode).toBe(2);
      expect(badJson.stderr).toMatch(/not valid JSON/);
      const unknown = await agent(['call', 'text__nope', '{}']);
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toMatch(/unknown tool "text__nope"/);

      // The HTTP server goes away: status says so, its calls fail, the stdio servers still answer.
      process.kill(-units.pid!, 'SIGKILL');
      await units;
      const downStatus = await agent(['status']);
      expect(downStatus.exitCode).toBe(1);
      expect(downStatus.stdout).toMatch(/^units\s+http\s+(down|open)/m);
      expect(downStatus.stdout).toMatch(/^notes\s+stdio\s+ready/m);
      const downCall = await agent(['call', 'units__convert', '{"value":1,"from":"m","to":"cm"}']);
      expect(downCall.exitCode).toBe(1);
      expect(downCall.stderr).toMatch(/server units is down/);
      const stillWorks = await agent(['call', 'text__slugify', '{"text":"Still Works"}']);
      expect(stillWorks).toMatchObject({ exitCode: 0, stdout: 'still-works' });

      const badConfig = join(work, 'bad-servers.json');
      writeFileSync(
        badConfig,
        JSON.stringify({ mcpServers: { broken: { command: 'node', url: 'http://127.0.0.1:1/mcp' } } }),
      );
      const rejected = await agent(['list', '--config', badConfig]);
      expect(rejected.exitCode).toBe(2);
      expect(rejected.stderr).toContain(`${badConfig}: mcpServers.broken: has both "url" and "command"`);

      expect(leftoverServers()).toEqual([]);
    } finally {
      try {
        process.kill(-units.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('serves the official conformance suite from the units example server in both protocol eras', async () => {
    if (!existsSync(join(app, 'dist', 'servers', 'units', 'main.js'))) await npmOk(app, ['run', 'build'], node24);
    const port = await freePort();
    const units = execa('npm', ['run', 'server:units'], {
      cwd: app,
      env: envWithNode(node24, { UNITS_PORT: String(port), ...conformanceSettings(port) }),
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    // The units server offers tools only: the suite's caching checks of other lists find nothing to check.
    const toolsOnly = 'the units server offers tools only: no prompts or resources to list or read';
    const expected = [
      ...REFERENCE_TOOL_CHECKS,
      ...['prompts-list', 'resources-list', 'resources-templates-list', 'resources-read'].map((list) => ({
        scenario: 'caching',
        check: `sep-2549-${list}-caching-hints`,
        reason: toolsOnly,
      })),
    ];
    try {
      await waitForHealth(`http://127.0.0.1:${port}/health`, units);
      await expectConformant(`http://127.0.0.1:${port}/mcp`, 'multi-server units', { expected });
    } finally {
      try {
        process.kill(-units.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('passes mcp-arch verify checklist', async () => {
    const result = await run('mcpArch', ['verify', 'checklist', '--dir', app, '--format', 'json']);
    const report = JSON.parse(result.stdout) as { results: { id: string; status: string }[] };
    const failed = report.results.filter((r) => r.status === 'fail');
    expect(result.exitCode, JSON.stringify(failed, null, 2)).toBe(0);
    expect(report.results.find((r) => r.id === 'resilience.circuit-breakers')?.status).toBe('pass');
    expect(report.results.find((r) => r.id === 'pre-deployment.architecture-pattern')?.status).toBe('pass');
  });
});
