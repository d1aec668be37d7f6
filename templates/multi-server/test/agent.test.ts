import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentServers } from '../src/agent/servers.js';
import { agent, ROOT, startUnits, stdioEntry, writeServersFile, type UnitsProcess } from './servers-helpers.js';
import { tempDir } from './own.js';

/** The agent CLI against real servers: what a user types, with its output and exit codes. */
describe('the agent CLI', { timeout: 60_000 }, () => {
  let units: UnitsProcess;
  let config: string;

  beforeAll(async () => {
    units = await startUnits();
    config = writeServersFile({
      units: { url: units.url, timeoutMs: 5000 },
      notes: stdioEntry('notes', { env: { NOTES_FILE: join(tempDir('notes'), 'notes.json'), LOG_LEVEL: 'warn' } }),
      text: stdioEntry('text'),
      spare: { url: 'http://127.0.0.1:9/mcp', enabled: false },
    });
  }, 60_000);

  afterAll(async () => {
    await units?.kill();
  });

  it('lists the namespaced tools with their server and state', async () => {
    const { code, stdout, stderr } = await agent(['list', '--config', config]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^TOOL\s+SERVER\s+STATE\s+DESCRIPTION$/m);
    expect(stdout).toMatch(/^units__convert\s+units\s+ready\s+Converts/m);
    expect(stdout).toMatch(/^notes__add_note\s+notes\s+ready\s+/m);
    expect(stdout).toMatch(/^text__word_count\s+text\s+ready\s+/m);
    expect(stdout).toMatch(/^-\s+spare\s+disabled\s+/m);
    const json = JSON.parse((await agent(['list', '--config', config, '--json'])).stdout) as { tools: { name: string; server: string }[] };
    expect(json.tools).toContainEqual(expect.objectContaining({ name: 'text__slugify', server: 'text' }));
    expect(json.tools).toHaveLength(8);
  });

  it('calls one tool per server and prints the result', async () => {
    const converted = await agent(['call', 'units__convert', '{"value":10,"from":"km","to":"mi"}', '--config', config]);
    expect(converted).toMatchObject({ code: 0, stdout: '10 km = 6.21371192237 mi\n' });
    const added = await agent(['call', 'notes__add_note', '{"title":"Groceries","tags":["home"]}', '--config', config]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^Added \[\w+\] Groceries \(home\)$/m);
    // NOTES_FILE keeps the note after the stdio process of the previous command exited.
    const found = await agent(['call', 'notes__search_notes', '{"query":"groceries"}', '--config', config]);
    expect(found.stdout).toMatch(/Groceries/);
    const counted = await agent(['call', 'text__word_count', '{"text":"one two"}', '--config', config, '--json']);
    expect(JSON.parse(counted.stdout)).toMatchObject({ structuredContent: { words: 2 } });
  });

  it('reports each server in status, and resources and prompts of all of them', async () => {
    const status = await agent(['status', '--config', config]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^units\s+http\s+ready\s+2/m);
    expect(status.stdout).toMatch(/^notes\s+stdio\s+ready\s+3/m);
    expect((await agent(['resources', '--config', config])).stdout).toMatch(/note:\/\/\{id\}/);
    expect((await agent(['prompts', '--config', config])).stdout).toMatch(/^text__summarize\s+text/m);
  });

  it('rejects bad input with a clear message and exit code 2', async () => {
    const badJson = await agent(['call', 'text__word_count', '{text:', '--config', config]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/arguments for text__word_count are not valid JSON/);
    const notObject = await agent(['call', 'text__word_count', '[1,2]', '--config', config]);
    expect(notObject).toMatchObject({ code: 2, stderr: expect.stringMatching(/must be a JSON object, got an array/) });
    const unknownServer = await agent(['call', 'nosuch__tool', '{}', '--config', config]);
    expect(unknownServer).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown tool "nosuch__tool".*units__, notes__, text__/) });
    const unknownTool = await agent(['call', 'text__shout', '{}', '--config', config]);
    expect(unknownTool).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown tool "text__shout": server text has text__word_count/) });
    const disabled = await agent(['call', 'spare__x', '{}', '--config', config]);
    expect(disabled).toMatchObject({ code: 2, stderr: expect.stringMatching(/server spare is disabled/) });
    const unknownCommand = await agent(['frobnicate', '--config', config]);
    expect(unknownCommand).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "frobnicate"/) });
    const invalidArguments = await agent(['call', 'text__word_count', '{"text":5}', '--config', config]);
    expect(invalidArguments.code).toBe(1);
    expect(invalidArguments.stderr).toMatch(/Invalid arguments for tool word_count/);
  });

  it('runs a stdio server without its own cwd in the folder of the servers file', async () => {
    const file = writeServersFile({ rel: { command: 'node', args: ['server.js'] }, abs: { command: 'node', args: ['server.js'], cwd: '/srv' } });
    const { servers } = await loadAgentServers(file);
    expect(servers.map((s) => (s.target.transport === 'stdio' ? s.target.cwd : undefined))).toEqual([dirname(file), '/srv']);
  });

  it('rejects a bad servers file naming the file, the server and the field', async () => {
    const badUrl = writeServersFile({ broken: { url: 'ftp://example.com' } });
    const result = await agent(['list', '--config', badUrl]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${badUrl}: mcpServers.broken.url: expected an http(s) URL`);
    const notJson = writeServersFile({});
    writeFileSync(notJson, '{"mcpServers": {');
    expect(await agent(['status', '--config', notJson])).toMatchObject({ code: 2, stderr: expect.stringMatching(/not valid JSON/) });
    const missing = await agent(['list', '--config', `${notJson}.missing`]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read the servers file \(ENOENT\)/) });
  });

  it('sends a server its own credentials from the environment, never in the file; a wrong one shows as down', async () => {
    const key = 'units-key-0123456789abcdef';
    const secured = await startUnits(undefined, { AUTH_MODE: 'apikey', API_KEYS: key });
    try {
      const file = writeServersFile({ units: { url: secured.url, headers: { Authorization: 'Bearer ${UNITS_API_KEY}' } } });
      const ok = await agent(['call', 'units__convert', '{"value":1,"from":"h","to":"min"}', '--config', file], { UNITS_API_KEY: key });
      expect(ok).toMatchObject({ code: 0, stdout: '1 h = 60 min\n' });
      const wrong = await agent(['status', '--config', file], { UNITS_API_KEY: 'not-the-key-0123456789' });
      expect(wrong.code).toBe(1);
      // The 401 answers the first request (the 2026-07-28 probe): it names the status, never an era.
      expect(wrong.stdout).toMatch(/^units\s+http\s+down\s+-\s+.*(Unauthorized|requires authorization \(HTTP 401\))/m);
      const unset = await agent(['status', '--config', file], {});
      expect(unset.code).toBe(2);
      expect(unset.stderr).toMatch(/mcpServers\.units\.headers\.Authorization: uses \$\{UNITS_API_KEY\}, but the environment variable UNITS_API_KEY is not set/);
    } finally {
      await secured.kill();
    }
  });

  it('serves a server with an empty prefix under its own tool names', async () => {
    const file = writeServersFile({ text: stdioEntry('text', { prefix: '' }), units: { url: units.url } });
    const list = await agent(['list', '--config', file]);
    expect(list.stdout).toMatch(/^word_count\s+text\s+ready/m);
    expect(list.stdout).toMatch(/^units__convert\s+units\s+ready/m);
    expect(await agent(['call', 'slugify', '{"text":"No Prefix"}', '--config', file])).toMatchObject({ code: 0, stdout: 'no-prefix\n' });
    expect(await agent(['call', 'shout', '{}', '--config', file])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown tool "shout": server text has word_count, slugify, extract_urls/) });
  });

  it('reports a collision between two servers in list', async () => {
    const clash = writeServersFile({ text: stdioEntry('text'), copy: stdioEntry('text', { prefix: 'text' }) });
    const result = await agent(['list', '--config', clash]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: tool "text__word_count" is exposed by text and copy/);
  });

  it('with one server killed: status exit 1 showing it down, its calls fail with exit 1, the others still work', async () => {
    await units.kill();
    const status = await agent(['status', '--config', config]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^units\s+http\s+(down|open)/m);
    expect(status.stdout).toMatch(/^text\s+stdio\s+ready/m);
    const down = await agent(['call', 'units__convert', '{"value":1,"from":"m","to":"cm"}', '--config', config]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/server units is down/);
    const other = await agent(['call', 'text__slugify', '{"text":"Still Works"}', '--config', config]);
    expect(other).toMatchObject({ code: 0, stdout: 'still-works\n' });
    const list = await agent(['list', '--config', config]);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/warning: server units is down/);
  });

  it('runs as a program: node src/agent.ts exits with the command\'s code', () => {
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'src/agent.ts', 'call', 'text__slugify', '{"text":"A B"}', '--config', config], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('a-b\n');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/agent.ts', 'call', 'text__slugify', 'nope', '--config', config], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not valid JSON/);
  });
});
