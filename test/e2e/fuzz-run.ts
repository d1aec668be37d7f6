import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';
import { fuzzInputs, MODERN, rawInputs, sendAll, sendRaw, type FuzzInput, type FuzzOutcome } from './fuzz-inputs.js';
import { envWithNode } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';

/**
 * Running a protocol fuzz against a built generated project: starting its server, sending the
 * seeded inputs of fuzz-inputs.ts, and the checks every fuzzed server must pass afterwards.
 */

/** A built project's server, started by `startBuilt`. */
export interface StartedServer {
  url: string;
  port: number;
  server: ResultPromise;
  /** Everything it wrote to stdout and stderr so far. */
  log: () => string;
}

/**
 * The server of the built project in `dir`, started directly (`node dist/index.js`, no rebuild) on a
 * free loopback port, in its own process group (end it with `stop`); resolves once /health answers.
 */
export async function startBuilt(dir: string, nodeBin: string, env: Record<string, string>): Promise<StartedServer> {
  const port = await freePort();
  const server = execa('node', ['dist/index.js'], {
    cwd: dir,
    env: envWithNode(nodeBin, { PORT: String(port), HOST: '127.0.0.1', ...env }),
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  let log = '';
  server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    await waitForHealth(`http://127.0.0.1:${port}/health`, server);
  } catch (error) {
    // Not started: nothing is left behind, and what it said is shown.
    stop(server);
    throw new Error(`${(error as Error).message}; its output: ${log.slice(-2000)}`);
  }
  return { url: `http://127.0.0.1:${port}`, port, server, log: () => log };
}

/** Ends a server started by `startBuilt` with its whole process group. */
export function stop(server: ResultPromise | undefined): void {
  try {
    if (server?.pid) process.kill(-server.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** How many answers had each status. */
export const tally = (statuses: number[]) =>
  statuses.reduce<Record<string, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

/**
 * The answers a request that reached the MCP handlers gets: a served 2026-07-28 call of the `echo`
 * tool and (unless `modernOnly`) a 2025 `initialize`; and /health and /ready both 200.
 */
export async function stillServes(url: string, apiKey: string, modernOnly: boolean): Promise<void> {
  const call = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
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
  await legacyInitialize(url, legacyHeaders(apiKey));
}

/** The headers of a 2025-era client's POST with the API key as credentials. */
function legacyHeaders(apiKey: string): Record<string, string> {
  return {
    authorization: `Bearer ${apiKey}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
}

/** A 2025-era `initialize`; fails unless it is served in that era. Returns the response (its session id). */
async function legacyInitialize(url: string, headers: Record<string, string>): Promise<Response> {
  const init = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1.0.0' } },
    }),
  });
  expect(init.status).toBe(200);
  expect(await init.text()).toContain('"protocolVersion":"2025-11-25"');
  return init;
}

/** The lines of a server's JSON log that record a failure of its own: a 5xx in the access log, or an error logged. */
export function loggedFailures(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level?: string; status?: number; msg?: string })
    .filter((line) => (line.status ?? 0) >= 500 || line.level === 'error' || line.level === 'fatal')
    .map((line) => JSON.stringify(line).slice(0, 400));
}

/** What one fuzz run sent and got back. */
export interface FuzzRun {
  answers: FuzzOutcome[];
  raw: Array<{ input: { kind: string }; status: number; problem?: string }>;
  /** Inputs served 200 per era: those reaching the MCP handlers. */
  eras: { modern: number; legacy: number };
  /** Every improper answer, as `kind: problem`. */
  problems: string[];
  /** The time the inputs took to send and answer. */
  ms: number;
}

/**
 * Sends `inputs` seeded inputs by fetch and `rawCount` raw HTTP requests to the /mcp endpoint of the
 * server at `url` (listening on `port`), with the API key as credentials, judges every answer, and
 * prints the counts under `name`.
 */
export async function fuzzEndpoint({
  name,
  url,
  port,
  apiKey,
  seed,
  inputs: count,
  rawCount,
}: {
  name: string;
  url: string;
  port: number;
  apiKey: string;
  seed: number;
  inputs: number;
  rawCount: number;
}): Promise<FuzzRun> {
  const began = Date.now();
  const inputs: FuzzInput[] = [...fuzzInputs(seed, count)];
  const answers = await sendAll(`${url}/mcp`, inputs, { authorization: `Bearer ${apiKey}` });
  const raw = await sendRaw(port, rawInputs(seed, rawCount, `127.0.0.1:${port}`, '/mcp', `Bearer ${apiKey}`));
  const ms = Date.now() - began;

  const byStatus = tally(answers.map((answer) => answer.status));
  const rawByStatus = tally(raw.map((answer) => answer.status));
  const eras = {
    modern: answers.filter((a) => a.status === 200 && a.input.headers['mcp-protocol-version'] === MODERN).length,
    legacy: answers.filter((a) => a.status === 200 && a.input.kind.startsWith('legacy:')).length,
  };
  console.log(
    `${name}: ${answers.length} inputs by fetch, answers by status ${JSON.stringify(byStatus)}; ` +
      `${raw.length} raw HTTP inputs, answers by status ${JSON.stringify(rawByStatus)} (0: closed without an answer); ` +
      `served 200: ${eras.modern} of 2026-07-28, ${eras.legacy} of the 2025 era; ${Date.now() - began} ms`,
  );
  const problems = [...answers, ...raw]
    .filter((answer) => answer.problem)
    .map((answer) => `${answer.input.kind}: ${answer.problem}`);
  return { answers, raw, eras, problems, ms };
}

/** A 2025-era client's exchange with an MCP endpoint, opened by `openLegacy`. */
export interface LegacyClient {
  /** The session id the server gave (none when its 2025 leg is stateless). */
  session: string | null;
  /** Calls the `echo` tool in the session; fails unless the text comes back. */
  echo(text: string): Promise<void>;
  /** Ends the session with DELETE (nothing to end without one). */
  end(): Promise<void>;
}

/**
 * Opens a 2025-era exchange as a client of that era does: `initialize`, then (with the session id
 * the server gave, if any) `notifications/initialized`. Fails unless both are accepted.
 */
export async function openLegacy(url: string, apiKey: string): Promise<LegacyClient> {
  const headers = legacyHeaders(apiKey);
  const post = (body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${url}/mcp`, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });
  const init = await legacyInitialize(url, headers);
  const session = init.headers.get('mcp-session-id');
  const follow = { 'mcp-protocol-version': '2025-11-25', ...(session ? { 'mcp-session-id': session } : {}) };
  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, follow);
  expect(initialized.status).toBe(202);
  let id = 1;
  return {
    session,
    async echo(text) {
      const call = await post(
        { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'echo', arguments: { text } } },
        follow,
      );
      expect(call.status).toBe(200);
      expect(await call.text()).toContain(JSON.stringify(text));
    },
    async end() {
      if (!session) return;
      const ended = await fetch(`${url}/mcp`, { method: 'DELETE', headers: { ...headers, ...follow } });
      expect(ended.status).toBeLessThan(300);
    },
  };
}

/** A 2025-era `tools/call` of `echo` in an exchange of its own (see `openLegacy`); fails unless it is served. */
export async function servesLegacyCall(url: string, apiKey: string): Promise<void> {
  const client = await openLegacy(url, apiKey);
  await client.echo('still here, 2025');
  await client.end();
}

/** A server a fuzz ran against, as `startBuilt` gives it. */
type FuzzedServer = Pick<StartedServer, 'url' | 'server' | 'log'>;

/**
 * What every fuzzed server must show afterwards: each input answered properly, inputs reaching the
 * handlers of every era it serves (not only the HTTP checks in front of them), and no crash: the
 * process up, healthy, ready and still serving, with no failure of its own in its log (`who` names
 * it in the messages).
 */
export async function expectSurvived(
  run: FuzzRun,
  { url, server, log }: FuzzedServer,
  { apiKey, inputs, modernOnly, who }: { apiKey: string; inputs: number; modernOnly: boolean; who?: string },
): Promise<void> {
  expect(run.answers).toHaveLength(inputs);
  expect(run.problems.slice(0, 20), `${run.problems.length} improper answers`).toEqual([]);
  expect(run.eras.modern).toBeGreaterThan(inputs / 20);
  if (!modernOnly) expect(run.eras.legacy).toBeGreaterThan(inputs / 100);
  expect(server.exitCode).toBeNull();
  await stillServes(url, apiKey, modernOnly);
  const failures = loggedFailures(log());
  expect(failures.slice(0, 5), `${failures.length} failures logged${who ? ` by ${who}` : ''}`).toEqual([]);
}
