import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzInputs, judgeAnswer, judgeRaw, type FuzzInput } from './fuzz-inputs.js';
import { expectSurvived, fuzzEndpoint, startBuilt, stop } from './fuzz-run.js';
import { generateInstalled, npmOk } from './generated.js';
import { nodeBinDir } from './node-runtime.js';

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
const start = (env: Record<string, string>) =>
  startBuilt(app, node24, {
    AUTH_MODE: 'apikey',
    API_KEYS: API_KEY,
    // The fuzz measures answers, not the rate limiter (whose own tests are elsewhere).
    RATE_LIMIT_RPS: '1000000',
    LOG_LEVEL: 'info',
    ...env,
  });

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
        const run = await fuzzEndpoint({
          name: `fuzz (${posture.name})`,
          url,
          port,
          apiKey: API_KEY,
          seed: SEED + index,
          inputs: posture.inputs,
          rawCount: RAW_INPUTS,
        });
        spentMs += run.ms;
        await expectSurvived(
          run,
          { url, server, log },
          { apiKey: API_KEY, inputs: posture.inputs, modernOnly: posture.env.MCP_PROTOCOL === 'modern' },
        );
      } finally {
        stop(server);
      }
    },
  );
});
