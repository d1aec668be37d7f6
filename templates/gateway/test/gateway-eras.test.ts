import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_CAPABILITIES_META_KEY, type Client, type ClientCapabilities } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, metricValue, modernRequest, OTHER_API_KEY, readMessages, waitFor, type TestServer } from './helpers.js';
import { tempDir } from './own.js';
import { connect, processesWith, startGateway, stdioBackend, text } from './gateway-helpers.js';

// A 2026-07-28 client calling tools of 2025 backends (over HTTP and over stdio) that ask it for
// input with requests of their own during the call: the gateway answers with input_required
// rounds and holds the backend's call until the client retries.
const FIXTURE = 'test/fixtures/eras-legacy-backend.mjs';
// Each held call of the stdio backend starts a process of its own, which a busy machine may take
// seconds to start: calls get a limit that leaves room for it. The gateway that shows held calls
// ending has a shorter one, so that a client that does not retry runs into it quickly; its first
// round (a stdio process started for it) must still fit, which took more than 3 s on a busy machine.
const CALL_TIMEOUT_MS = 20_000;
const EXPIRY_MS = 6000;
const ELICITATION: ClientCapabilities = { elicitation: { form: {} } };
const ANSWER_SCHEMA = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
const STATE = /^mcp-gateway-held\.[0-9a-f]{12}\.v1\./;

interface Stats {
  sessions: number;
  late: string[];
  cancelled: number;
  waiting: number;
  open: number;
}

/** The fixture over HTTP in its own process. */
async function startLegacyHttp(): Promise<{ url: string; stats(): Promise<Stats>; kill(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [FIXTURE, '--http'], { env: { PATH: process.env.PATH ?? '', PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`legacy backend exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stats: async () => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as Stats,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Answers what the client declared it can answer. */
const answering = (c: Client, capabilities: ClientCapabilities) => {
  if (capabilities.elicitation) c.setRequestHandler('elicitation/create', (request) => ({ action: 'accept', content: { answer: `yes to ${request.params.message}` } }));
  if (capabilities.sampling) c.setRequestHandler('sampling/createMessage', (request) => ({ model: 'test-model', role: 'assistant', content: { type: 'text', text: `model says: ${JSON.stringify(request.params.messages[0]?.content)}` } }));
  if (capabilities.roots) c.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
};

type LegacyHttp = Awaited<ReturnType<typeof startLegacyHttp>>;

/** A gateway in front of the fixture over HTTP (remote) and over stdio (local), each its own. */
interface Setup {
  http: LegacyHttp;
  gateway: TestServer;
  /** In the command line of every process of the stdio backend. */
  tag: string;
  /** Where the stdio backend writes what became of its requests sent after a call ended. */
  lateFile: string;
}

async function startSetup(timeoutMs: number): Promise<Setup> {
  const http = await startLegacyHttp();
  const local = stdioBackend('local');
  const lateFile = join(tempDir('eras'), 'late.txt');
  const gateway = await startGateway(
    { remote: { url: http.url }, local: { ...local.entry, args: [FIXTURE, local.tag], env: { LATE_FILE: lateFile } } },
    { AUTH_MODE: 'apikey', API_KEYS: `${API_KEY},${OTHER_API_KEY}`, REQUEST_TIMEOUT_MS: String(timeoutMs) },
  ).catch(async (error: unknown) => {
    await http.kill();
    throw error;
  });
  return { http, gateway, tag: local.tag, lateFile };
}

async function stopSetup(setup: Setup | undefined): Promise<void> {
  await setup?.gateway.close();
  await setup?.http.kill();
}

/** The file's gateway, with calls of CALL_TIMEOUT_MS. */
let main: Setup;
const opened: Client[] = [];
const auth = (key = API_KEY) => ({ authorization: `Bearer ${key}` });
const open = async (capabilities: ClientCapabilities, key = API_KEY) => {
  const client = await connect(main.gateway.mcpUrl, { era: 'modern', capabilities, setup: (c) => answering(c, capabilities), headers: auth(key) });
  opened.push(client);
  return client;
};

/** A raw 2026-07-28 tools/call with the given capabilities and retry fields. */
function call(name: string, args: Record<string, unknown>, { capabilities = ELICITATION, retry = {}, id = 1 }: { capabilities?: ClientCapabilities; retry?: Record<string, unknown>; id?: number } = {}) {
  const request = modernRequest('tools/call', { name, arguments: args, ...retry }, id, name);
  (request.body.params._meta as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY] = capabilities;
  return request;
}

async function send(request: ReturnType<typeof call>, { url = main.gateway.mcpUrl, key = API_KEY, signal }: { url?: string; key?: string; signal?: AbortSignal } = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...request.headers, ...auth(key) }, body: JSON.stringify(request.body), signal });
  const messages = await readMessages(response);
  return messages.at(-1) as { id: number; result?: Record<string, any>; error?: { code: number; message: string; data?: { reason?: string } } };
}

/** The backend sessions the gateway holds for clients now (held calls among them), per backend. */
const held = async (server = main.gateway) => (await metricValue(server.url, 'mcp_backend_sessions', { backend: 'remote' })) + (await metricValue(server.url, 'mcp_backend_sessions', { backend: 'local' }));

beforeAll(async () => {
  main = await startSetup(CALL_TIMEOUT_MS);
}, 30_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close().catch(() => {})));
});

afterAll(() => stopSetup(main));

describe('a 2026-07-28 client and a 2025 backend that asks for input', () => {
  it.each(['remote', 'local'])('the SDK client answers the elicitation and gets the result (%s)', async (backend) => {
    const client = await open(ELICITATION);
    const result = await client.callTool({ name: `${backend}__confirm`, arguments: { what: 'the deploy' } });
    expect(JSON.parse(text(result))).toEqual({ action: 'accept', content: { answer: 'yes to Confirm the deploy?' } });
  });

  it.each(['remote', 'local'])('two questions are two rounds, the second asked after the first answer (%s)', async (backend) => {
    const asked: string[] = [];
    const client = await open(ELICITATION);
    client.setRequestHandler('elicitation/create', (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { answer: `answer ${asked.length}` } };
    });
    const result = await client.callTool({ name: `${backend}__confirm_twice`, arguments: {} });
    expect(asked).toEqual(['First question?', 'Second question, after "answer 1"?']);
    expect(JSON.parse(text(result))).toEqual([
      { action: 'accept', content: { answer: 'answer 1' } },
      { action: 'accept', content: { answer: 'answer 2' } },
    ]);
  });

  it('sampling and roots are translated too, and the backend session declares exactly the client\'s capabilities', async () => {
    const client = await open({ sampling: {}, roots: {}, ...ELICITATION });
    expect(text(await client.callTool({ name: 'local__sample', arguments: { prompt: 'hi' } }))).toContain('model says');
    expect(JSON.parse(text(await client.callTool({ name: 'remote__roots', arguments: {} })))).toEqual(['file:///work']);
    const onlyElicitation = await open(ELICITATION);
    const declared = JSON.parse(text(await onlyElicitation.callTool({ name: 'remote__capabilities', arguments: {} }))) as ClientCapabilities;
    expect(declared.elicitation).toBeDefined();
    expect(declared.sampling).toBeUndefined();
    expect(declared.roots).toBeUndefined();
  });

  it.each(['remote', 'local'])('on the wire: input_required with the backend\'s request, then a retry with inputResponses, round by round (%s)', async (backend) => {
    const name = `${backend}__confirm_twice`;
    const first = await send(call(name, {}));
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ resultType: 'input_required', requestState: expect.stringMatching(STATE) });
    expect(first.result!.inputRequests).toEqual({ 'elicitation-1': { method: 'elicitation/create', params: expect.objectContaining({ message: 'First question?', requestedSchema: ANSWER_SCHEMA }) } });

    const second = await send(call(name, {}, { id: 2, retry: { inputResponses: { 'elicitation-1': { action: 'accept', content: { answer: 'blue' } } }, requestState: first.result!.requestState } }));
    expect(second.result).toMatchObject({ resultType: 'input_required', requestState: expect.stringMatching(STATE) });
    expect(second.result!.requestState).not.toBe(first.result!.requestState);
    expect(second.result!.inputRequests).toEqual({ 'elicitation-2': { method: 'elicitation/create', params: expect.objectContaining({ message: 'Second question, after "blue"?' }) } });

    // The first round's state was used: it names a round the call has left.
    const replayed = await send(call(name, {}, { id: 3, retry: { inputResponses: { 'elicitation-1': { action: 'decline' } }, requestState: first.result!.requestState } }));
    expect(replayed.error).toMatchObject({ code: -32602, message: expect.stringMatching(/round 1 .*round 2.*latest requestState/) });

    const last = await send(call(name, {}, { id: 4, retry: { inputResponses: { 'elicitation-2': { action: 'decline' } }, requestState: second.result!.requestState } }));
    expect(last.id).toBe(4);
    expect(last.result).not.toHaveProperty('resultType', 'input_required');
    expect(JSON.parse(last.result!.content[0].text)).toEqual([{ action: 'accept', content: { answer: 'blue' } }, { action: 'decline' }]);
    // The call's own backend session is gone with its result.
    await waitFor(async () => (await held()) === 0);
  });
});

describe('what is refused', () => {
  it('a requestState that was altered, or that names no held call', async () => {
    const first = await send(call('remote__confirm', {}));
    const state = first.result!.requestState as string;
    const altered = await send(call('remote__confirm', {}, { retry: { inputResponses: {}, requestState: `${state.slice(0, -2)}xx` } }));
    expect(altered.error).toMatchObject({ code: -32602, message: expect.stringMatching(/not one this gateway issued.*start the call again/), data: { reason: 'unknown' } });
    const done = await send(call('remote__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'cancel' } }, requestState: state } }));
    expect(JSON.parse(done.result!.content[0].text)).toEqual({ action: 'cancel' });
    const again = await send(call('remote__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'cancel' } }, requestState: state } }));
    expect(again.error).toMatchObject({ code: -32602, message: expect.stringMatching(/No call is held under this requestState.*start the call again/) });
  });

  it('a requestState of another client identity', async () => {
    const first = await send(call('local__confirm', {}));
    const stolen = await send(call('local__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'accept', content: { answer: 'x' } } }, requestState: first.result!.requestState } }), { key: OTHER_API_KEY });
    expect(stolen.error).toMatchObject({ code: -32602, message: expect.stringMatching(/another client identity/), data: { reason: 'other-identity' } });
    // The owner still can.
    const owned = await send(call('local__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'accept', content: { answer: 'mine' } } }, requestState: first.result!.requestState } }));
    expect(JSON.parse(owned.result!.content[0].text)).toEqual({ action: 'accept', content: { answer: 'mine' } });
  });

  it('a requestState of another gateway replica', async () => {
    const replica = await startGateway({ remote: { url: main.http.url } }, { AUTH_MODE: 'apikey', API_KEYS: API_KEY, REQUEST_TIMEOUT_MS: String(CALL_TIMEOUT_MS) });
    try {
      const first = await send(call('remote__confirm', {}));
      const elsewhere = await send(call('remote__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'decline' } }, requestState: first.result!.requestState } }), { url: replica.mcpUrl });
      expect(elsewhere.error).toMatchObject({ code: -32602, message: expect.stringMatching(/another gateway instance.*lives on the one instance that started it.*start the call again/), data: { reason: 'other-instance' } });
      await send(call('remote__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'decline' } }, requestState: first.result!.requestState } }));
    } finally {
      await replica.close();
    }
  }, 30_000);

  it('an answer of the wrong shape (the held call stays, and a right answer completes it)', async () => {
    const first = await send(call('remote__confirm', {}));
    const state = first.result!.requestState;
    const wrong = await send(call('remote__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'maybe' } }, requestState: state } }));
    expect(wrong.error).toMatchObject({ code: -32602, message: expect.stringMatching(/inputResponses\.elicitation-1 is not a ElicitResult/), data: { reason: 'invalid-input' } });
    const unasked = await send(call('remote__confirm', {}, { retry: { inputResponses: { 'sampling-9': { action: 'accept' } }, requestState: state } }));
    expect(unasked.error).toMatchObject({ code: -32602, message: expect.stringMatching(/"sampling-9", which this call did not ask for; it asked for: elicitation-1/) });
    const right = await send(call('remote__confirm', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'decline' } }, requestState: state } }));
    expect(JSON.parse(right.result!.content[0].text)).toEqual({ action: 'decline' });
  });

  it.each(['remote', 'local'])('a backend request related to no client request in progress (%s)', async (backend) => {
    const client = await open(ELICITATION);
    let asked = 0;
    client.setRequestHandler('elicitation/create', () => (asked++, { action: 'accept', content: { answer: 'never' } }));
    expect(text(await client.callTool({ name: `${backend}__late`, arguments: {} }))).toBe('done');
    const { http, lateFile } = main;
    const outcomes = async () => (backend === 'remote' ? (await http.stats()).late : existsSync(lateFile) ? readFileSync(lateFile, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor(async () => (await outcomes()).length > 0);
    // Refused by the gateway while the call's session still closes, or by the closed session itself: never relayed.
    expect(await outcomes()).toEqual([expect.stringMatching(/elicitation\/create is not related to any client request in progress|Connection closed/)]);
    expect(asked).toBe(0);
  });

  it('input of a kind the client did not declare', async () => {
    const none = await open({});
    await expect(none.callTool({ name: 'remote__confirm', arguments: {} })).rejects.toThrow(/did not declare the "elicitation" capability/);
    const onlyElicitation = await open(ELICITATION);
    await expect(onlyElicitation.callTool({ name: 'local__sample', arguments: { prompt: 'hi' } })).rejects.toThrow(/did not declare the "sampling" capability/);
  });
});

describe('held calls end', () => {
  let expiring: Setup;
  beforeAll(async () => {
    expiring = await startSetup(EXPIRY_MS);
  }, 30_000);
  afterAll(() => stopSetup(expiring));

  it.each(['remote', 'local'])('when the client does not retry in time: the backend is told, its session and process end, the state is refused as expired (%s)', async (backend) => {
    const { http, gateway, tag } = expiring;
    const url = gateway.mcpUrl;
    const before = await http.stats();
    const first = await send(call(`${backend}__confirm`, {}), { url });
    expect(first.result).toMatchObject({ resultType: 'input_required' });
    if (backend === 'local') expect(processesWith(tag)).toBe(2);
    await waitFor(async () => (await held(gateway)) === 0, { timeoutMs: EXPIRY_MS + 5000 });
    if (backend === 'local') await waitFor(() => processesWith(tag) === 1);
    // Only the gateway's shared session stays open.
    else await waitFor(async () => (await http.stats()).cancelled > before.cancelled && (await http.stats()).open === 1);
    const late = await send(call(`${backend}__confirm`, {}, { retry: { inputResponses: { 'elicitation-1': { action: 'decline' } }, requestState: first.result!.requestState } }), { url });
    expect(late.error).toMatchObject({ code: -32602, message: expect.stringMatching(/expired.*start the call again/i), data: { reason: 'expired' } });
  }, 30_000);

  it('when the client gives up during a round: the backend is told', async () => {
    const { http } = main;
    const before = await http.stats();
    const first = await send(call('remote__wait', {}));
    const leaving = new AbortController();
    const retry = send(call('remote__wait', {}, { retry: { inputResponses: { 'elicitation-1': { action: 'accept', content: { answer: 'now' } } }, requestState: first.result!.requestState } }), { signal: leaving.signal });
    retry.catch(() => {});
    // The answer reached the backend, which now waits: the retry is in flight.
    await waitFor(async () => (await http.stats()).waiting > before.waiting);
    leaving.abort();
    await waitFor(async () => (await http.stats()).cancelled > before.cancelled, { timeoutMs: 10_000 });
    await waitFor(async () => (await held()) === 0 && (await http.stats()).open === 1);
  }, 20_000);
});
