import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fuzzInputs,
  judgeAnswer,
  judgeRaw,
  MODERN,
  rawInputs,
  sendAll,
  sendRaw,
  type FuzzInput,
} from './fuzz-inputs.js';
import { generateInstalled, npmOk } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';

/**
 * A bounded protocol fuzz of the generated single server, in each posture it can be started in
 * (both eras; 2026-07-28 only; both eras with the sessionful 2025 leg): seeded malformed and
 * edge-case inputs of both eras, over fetch and over raw sockets. The server must stay up and
 * healthy, never answer 5xx (nor record one), and answer every input properly (see fuzz-inputs.ts).
 */
const SEED = 20260728;
const API_KEY = 'fuzz-key-0123456789abcdef';
/** Inputs per posture; together at least 10,000 through fetch, besides the raw ones. */
const POSTURES: ReadonlyArray<{ name: string; env: Record<string, string>; inputs: number }> = [
  { name: 'both eras, stateless', env: {}, inputs: 4_000 },
  { name: '2026-07-28 only', env: { MCP_PROTOCOL: 'modern' }, inputs: 3_000 },
  { name: 'both eras, sessionful 2025 leg', env: { SESSION_MODE: 'stateful' }, inputs: 3_000 },
];
const RAW_INPUTS = 300;

const work = mkdtempSync(join(tmpdir(), 'e2e-fuzz-'));
let app: string;
let node24: string;
let spentMs = 0;

afterAll(() => {
  // The time is reported, not judged: speed is what the benchmarks measure.
  if (spentMs > 0) console.log(`fuzz: every posture's inputs sent in ${spentMs} ms`);
  rmSync(work, { recursive: true, force: true });
});

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  app = await generateInstalled(work, 'app', ['--pattern', 'single'], node24);
  await npmOk(app, ['run', 'build'], node24);
});

/** The server of the built project, started directly (no rebuild), in its own process group. */
async function start(
  env: Record<string, string>,
): Promise<{ url: string; port: number; server: ResultPromise; log: () => string }> {
  const port = await freePort();
  const server = execa('node', ['dist/index.js'], {
    cwd: app,
    env: envWithNode(node24, {
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_MODE: 'apikey',
      API_KEYS: API_KEY,
      // The fuzz measures answers, not the rate limiter (whose own tests are elsewhere).
      RATE_LIMIT_RPS: '1000000',
      LOG_LEVEL: 'info',
      ...env,
    }),
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  let log = '';
  server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await waitForHealth(`http://127.0.0.1:${port}/health`, server);
  return { url: `http://127.0.0.1:${port}`, port, server, log: () => log };
}

function stop(server: ResultPromise): void {
  try {
    process.kill(-server.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

const tally = (statuses: number[]) =>
  statuses.reduce<Record<string, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

/** The answers a request that reached the MCP handlers gets: a served 2026-07-28 call and a 2025 `initialize`. */
async function stillServes(url: string, modernOnly: boolean): Promise<void> {
  const call = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'echo',
        arguments: { text: 'still here' },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  expect(call.status).toBe(200);
  expect(await call.text()).toContain('still here');
  const health = await fetch(`${url}/health`);
  expect(health.status).toBe(200);
  const ready = await fetch(`${url}/ready`);
  expect(ready.status).toBe(200);
  if (modernOnly) return;
  const init = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1.0.0' } },
    }),
  });
  expect(init.status).toBe(200);
  expect(await init.text()).toContain('"protocolVersion":"2025-11-25"');
}

describe('the fuzz judge', () => {
  const input = (expect: FuzzInput['expect'], extra: Partial<FuzzInput> = {}): FuzzInput => ({
    kind: 'judge',
    method: 'POST',
    headers: {},
    body: '{}',
    expect,
    ...extra,
  });
  const error = JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'Invalid Request' } });
  const result = JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} });

  it('accepts proper refusals and served edge cases', () => {
    expect(judgeAnswer(input('error'), 400, 'application/json', error)).toBeUndefined();
    expect(judgeAnswer(input('error'), 200, 'text/event-stream', `event: message\ndata: ${error}\n\n`)).toBeUndefined();
    expect(judgeAnswer(input('any'), 200, 'application/json', result)).toBeUndefined();
    expect(judgeAnswer(input('any'), 202, '', '')).toBeUndefined();
    expect(judgeAnswer(input('error', { httpLevel: true }), 400, '', '')).toBeUndefined();
  });

  it('rejects 5xx, results where a refusal was due, malformed errors and bodies that are not JSON-RPC', () => {
    expect(judgeAnswer(input('any'), 500, 'application/json', error)).toMatch(/HTTP 500/);
    expect(judgeAnswer(input('error'), 200, 'application/json', result)).toMatch(/a result where an error was due/);
    expect(judgeAnswer(input('error'), 400, 'application/json', result)).toMatch(/carrying a result/);
    expect(
      judgeAnswer(
        input('error'),
        400,
        'application/json',
        JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } }),
      ),
    ).toMatch(/error.code is not an integer/);
    expect(judgeAnswer(input('error'), 405, 'text/plain', 'Method Not Allowed')).toMatch(/content-type text\/plain/);
    expect(judgeAnswer(input('error'), 400, '', '')).toMatch(/empty body/);
    expect(judgeAnswer(input('error', { anonymous: true }), 400, 'application/json', error)).toMatch(/not 401/);
    expect(judgeRaw({ kind: 'raw', bytes: new Uint8Array() }, 'HTTP/1.1 200 OK\r\n\r\n').problem).toMatch(/HTTP 200/);
    expect(judgeRaw({ kind: 'raw', bytes: new Uint8Array() }, 'HTTP/1.1 502 Bad Gateway\r\n\r\n').problem).toMatch(
      /HTTP 502/,
    );
  });

  it('draws the same inputs from the same seed, and different ones from another', () => {
    const first = [...fuzzInputs(7, 50)].map((one) => JSON.stringify([one.method, one.headers, String(one.body)]));
    expect([...fuzzInputs(7, 50)].map((one) => JSON.stringify([one.method, one.headers, String(one.body)]))).toEqual(
      first,
    );
    expect(
      [...fuzzInputs(8, 50)].map((one) => JSON.stringify([one.method, one.headers, String(one.body)])),
    ).not.toEqual(first);
  });
});

describe('protocol fuzz of the generated single server', { timeout: 180_000 }, () => {
  it.each(POSTURES.map((posture, index) => [posture.name, posture, index] as const))(
    '%s: every malformed or edge-case input gets a proper answer, and the server stays up',
    async (_name, posture, index) => {
      const { url, port, server, log } = await start(posture.env);
      try {
        const began = Date.now();
        const inputs: FuzzInput[] = [...fuzzInputs(SEED + index, posture.inputs)];
        const answers = await sendAll(`${url}/mcp`, inputs, { authorization: `Bearer ${API_KEY}` });
        const raw = await sendRaw(
          port,
          rawInputs(SEED + index, RAW_INPUTS, `127.0.0.1:${port}`, '/mcp', `Bearer ${API_KEY}`),
        );
        spentMs += Date.now() - began;

        const byStatus = tally(answers.map((answer) => answer.status));
        const rawByStatus = tally(raw.map((answer) => answer.status));
        const eras = {
          modern: answers.filter((a) => a.status === 200 && a.input.headers['mcp-protocol-version'] === MODERN).length,
          legacy: answers.filter((a) => a.status === 200 && a.input.kind.startsWith('legacy:')).length,
        };
        console.log(
          `fuzz (${posture.name}): ${answers.length} inputs by fetch, answers by status ${JSON.stringify(byStatus)}; ` +
            `${raw.length} raw HTTP inputs, answers by status ${JSON.stringify(rawByStatus)} (0: closed without an answer); ` +
            `served 200: ${eras.modern} of 2026-07-28, ${eras.legacy} of the 2025 era; ${Date.now() - began} ms`,
        );

        expect(answers).toHaveLength(posture.inputs);
        const problems = [...answers, ...raw]
          .filter((answer) => answer.problem)
          .map((answer) => `${answer.input.kind}: ${answer.problem}`);
        expect(problems.slice(0, 20), `${problems.length} improper answers`).toEqual([]);
        // The inputs reach the handlers (not only the HTTP checks in front of them), in every era served.
        expect(eras.modern).toBeGreaterThan(posture.inputs / 20);
        if (posture.env.MCP_PROTOCOL !== 'modern') expect(eras.legacy).toBeGreaterThan(posture.inputs / 100);

        // No crash: the process is up, healthy, ready, and still serves both eras.
        expect(server.exitCode).toBeNull();
        await stillServes(url, posture.env.MCP_PROTOCOL === 'modern');
        // Nor anything the server recorded as its own failure: no 5xx in its access log, no error logged.
        const lines = log()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { level?: string; status?: number; msg?: string });
        const failures = lines.filter(
          (line) => (line.status ?? 0) >= 500 || line.level === 'error' || line.level === 'fatal',
        );
        expect(
          failures.slice(0, 5).map((line) => JSON.stringify(line).slice(0, 400)),
          `${failures.length} failures logged`,
        ).toEqual([]);
      } finally {
        stop(server);
      }
    },
  );
});
