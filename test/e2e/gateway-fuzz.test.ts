import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAll, sessionInputs } from './fuzz-inputs.js';
import {
  expectSurvived,
  fuzzEndpoint,
  loggedFailures,
  openLegacy,
  servesLegacyCall,
  startBuilt,
  stillServes,
  stop,
  tally,
  type StartedServer,
} from './fuzz-run.js';
import { generateInstalled, npmOk } from './generated.js';
import { nodeBinDir } from './node-runtime.js';

/**
 * The protocol fuzz of fuzz.test.ts sent through the generated gateway: the generated single server
 * is the gateway's only backend, over HTTP, in passthrough (an empty prefix: the tools keep their
 * names), with its own authentication off and its rate limit out of reach, so that what answers is
 * the gateway (which takes the API key). Every answer is judged by the same rules as the single
 * server's; the gateway must stay up and ready, answer and log no 5xx, leave its backend up, and
 * still serve a real call in both eras. The judge needs nothing of its own for a gateway: where the
 * gateway answers otherwise than its backend would (a list cursor it did not issue is refused with
 * -32602, as the gateway pages the lists itself, where the single server's one page ignores it),
 * both answers are proper to an input that may be served.
 */
const SEED = 20260801;
const API_KEY = 'gateway-fuzz-key-0123456789abcdef';
/** Inputs per posture of the gateway; together at least 10,000 through fetch, besides the raw ones. */
const POSTURES: ReadonlyArray<{
  name: string;
  env: Record<string, string>;
  inputs: number;
  /** 2025-era inputs inside one open session of the gateway (whose backend session it holds), besides. */
  inSession?: number;
}> = [
  { name: 'both eras, stateless', env: {}, inputs: 4_000 },
  { name: 'both eras, sessionful 2025 leg', env: { SESSION_MODE: 'stateful' }, inputs: 4_000, inSession: 1_000 },
  { name: '2026-07-28 only', env: { MCP_PROTOCOL: 'modern' }, inputs: 2_000 },
];
const RAW_INPUTS = 300;

const work = mkdtempSync(join(tmpdir(), 'e2e-gateway-fuzz-'));
let node24: string;
let gatewayApp: string;
let backend: StartedServer | undefined;
/** Every gateway started, ended in afterAll too (a failed start or assertion leaves none behind). */
const started: ResultPromise[] = [];
let spentMs = 0;
let sent = 0;

afterAll(() => {
  for (const server of started) stop(server);
  stop(backend?.server);
  // The time is reported, not judged: speed is what the benchmarks measure.
  if (spentMs > 0) console.log(`gateway fuzz: ${sent} inputs by fetch, with the raw ones, sent in ${spentMs} ms`);
  rmSync(work, { recursive: true, force: true });
});

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  const backendApp = await generateInstalled(work, 'backend', ['--pattern', 'single'], node24);
  await npmOk(backendApp, ['run', 'build'], node24);
  gatewayApp = await generateInstalled(work, 'gateway', ['--pattern', 'gateway'], node24);
  await npmOk(gatewayApp, ['run', 'build'], node24);
  backend = await startBuilt(backendApp, node24, {
    AUTH_MODE: 'none',
    // Every request comes from the gateway: one client, as far as the backend's limiter can tell.
    RATE_LIMIT_RPS: '1000000',
    LOG_LEVEL: 'info',
    SESSION_MODE: 'stateful',
  });
  writeFileSync(
    join(gatewayApp, 'fuzz.servers.json'),
    JSON.stringify({
      mcpServers: {
        // Within the fuzz's own deadline (10 s), so that a backend that does not answer is the gateway's answer to give.
        single: { url: `${backend.url}/mcp`, prefix: '', timeoutMs: 5_000 },
      },
    }),
  );
}, 600_000);

/** The statuses of the backend's answers to /mcp so far, from its access log, in order. */
function backendRequests(): number[] {
  return backend!
    .log()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; path?: string; status?: number })
    .filter((line) => line.msg === 'request' && line.path === '/mcp')
    .map((line) => line.status ?? 0);
}

/**
 * Sends `count` 2025-era inputs inside one session opened on the gateway (see `sessionInputs`),
 * judges them like the others, and checks that the session still serves a call afterwards;
 * returns the improper answers.
 */
async function fuzzSession(url: string, seed: number, count: number): Promise<string[]> {
  const began = Date.now();
  const client = await openLegacy(url, API_KEY);
  expect(client.session).toBeTruthy();
  // The gateway's session holds a backend session once it has used the backend.
  await client.echo('before the fuzz');
  const answers = await sendAll(`${url}/mcp`, sessionInputs(seed, count, client.session!), {
    authorization: `Bearer ${API_KEY}`,
  });
  await client.echo('after the fuzz');
  await client.end();
  const ms = Date.now() - began;
  spentMs += ms;
  sent += answers.length;
  console.log(
    `gateway fuzz: ${answers.length} inputs in one 2025 session, answers by status ` +
      `${JSON.stringify(tally(answers.map((answer) => answer.status)))}; ${ms} ms`,
  );
  return answers.filter((answer) => answer.problem).map((answer) => `${answer.input.kind}: ${answer.problem}`);
}

/** The gateway of the built project in front of the single server, in its own process group. */
async function startGateway(env: Record<string, string>): Promise<StartedServer> {
  const running = await startBuilt(gatewayApp, node24, {
    AUTH_MODE: 'apikey',
    API_KEYS: API_KEY,
    // The fuzz measures answers, not the rate limiter (whose own tests are elsewhere).
    RATE_LIMIT_RPS: '1000000',
    LOG_LEVEL: 'info',
    GATEWAY_CONFIG: 'fuzz.servers.json',
    GATEWAY_HEALTH_INTERVAL_MS: '1000',
    ENV_FILE: '',
    ...env,
  });
  started.push(running.server);
  return running;
}

describe('protocol fuzz through the generated gateway', { timeout: 300_000 }, () => {
  it.each(POSTURES.map((posture, index) => [posture.name, posture, index] as const))(
    '%s: every malformed or edge-case input gets a proper answer, and the gateway and its backend stay up',
    async (_name, posture, index) => {
      const { url, port, server, log } = await startGateway(posture.env);
      try {
        // The backend's tools are served under their own names before the fuzz begins.
        await stillServes(url, API_KEY, true);
        const backendBefore = backendRequests();
        const run = await fuzzEndpoint({
          name: `gateway fuzz (${posture.name})`,
          url,
          port,
          apiKey: API_KEY,
          seed: SEED + index,
          inputs: posture.inputs,
          rawCount: RAW_INPUTS,
        });
        spentMs += run.ms;
        sent += run.answers.length;
        const inSession = posture.inSession ? await fuzzSession(url, SEED + index, posture.inSession) : [];
        const passedOn = backendRequests().slice(backendBefore.length);
        console.log(
          `gateway fuzz (${posture.name}): the backend answered ${passedOn.length} requests the gateway made meanwhile, ` +
            `by status ${JSON.stringify(tally(passedOn))}`,
        );

        const modernOnly = posture.env.MCP_PROTOCOL === 'modern';
        await expectSurvived(
          run,
          { url, server, log },
          { apiKey: API_KEY, inputs: posture.inputs, modernOnly, who: 'the gateway' },
        );
        expect(inSession.slice(0, 20), `${inSession.length} improper answers in a session`).toEqual([]);
        // What the gateway serves from its backend reached the backend (not only the gateway's own catalog).
        expect(passedOn.length).toBeGreaterThan(posture.inputs / 100);
        // A real call in every era it serves, the 2025 one in an exchange of its own.
        if (!modernOnly) await servesLegacyCall(url, API_KEY);

        // The backend took what the gateway passed on without failing, and is up.
        expect(backend!.server.exitCode).toBeNull();
        expect((await fetch(`${backend!.url}/health`)).status).toBe(200);
        const backendFailures = loggedFailures(backend!.log());
        expect(backendFailures.slice(0, 5), `${backendFailures.length} failures logged by the backend`).toEqual([]);
      } finally {
        stop(server);
      }
    },
  );
});
