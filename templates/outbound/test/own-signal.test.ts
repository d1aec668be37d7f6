import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOwnSignal } from '../src/http/own-signal.js';

let server: Server;
let base: string;
beforeAll(async () => {
  // /slow never answers: a request to it ends only when it is aborted.
  server = createServer((req, res) => {
    if (req.url === '/slow') return;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('fetch with a signal per request', () => {
  it('leaves no listener on the long-lived signal, however many requests share it', async () => {
    const session = new AbortController();
    const seen: (AbortSignal | null | undefined)[] = [];
    const recording: typeof fetch = (input, init) => (seen.push(init?.signal), fetch(input, init));
    const ownSignal = withOwnSignal(recording);
    for (let i = 0; i < 50; i++) expect(await (await ownSignal(`${base}/`, { signal: session.signal })).json()).toEqual({ ok: true });
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(0);
    expect(seen.every((signal) => signal instanceof AbortSignal && signal !== session.signal)).toBe(true);
    expect(new Set(seen).size).toBe(50);
  });

  it('aborts a request in flight when the long-lived signal aborts, with its reason', async () => {
    const session = new AbortController();
    const pending = withOwnSignal()(`${base}/slow`, { signal: session.signal });
    setTimeout(() => session.abort(new Error('session closed')), 50);
    await expect(pending).rejects.toThrow('session closed');
  });

  it('refuses to start a request on a signal already aborted, and passes requests without one unchanged', async () => {
    const closed = new AbortController();
    closed.abort(new Error('already closed'));
    await expect(withOwnSignal()(`${base}/`, { signal: closed.signal })).rejects.toThrow('already closed');
    let passed: RequestInit | undefined;
    const init = { method: 'GET' };
    await withOwnSignal(async (_input, given) => ((passed = given), new Response('{}')))(`${base}/`, init);
    expect(passed).toBe(init);
  });
});
