import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../src/http/env.js';
import { bodyLimit } from '../src/middleware/body-limit.js';
import { createLogger } from '../src/observability/logger.js';

/**
 * The body limit's bounds on reading a refused body on, with small ones so that they are reached
 * quickly: past either, the 413 closes the connection instead of waiting for the rest.
 */
const LIMIT = 1024;
const DRAIN = { maxBytes: 64 * 1024, maxMs: 300 };

let server: ServerType;
let url: string;

beforeAll(async () => {
  const app = new Hono<AppEnv>();
  const log = createLogger('error', { write: () => true });
  app.use('*', async (c, next) => {
    c.set('log', log);
    await next();
  });
  app.post('/', bodyLimit({ maxBytes: LIMIT, drain: DRAIN }), (c) => c.json({ bytes: c.get('body')?.byteLength }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  (server as import('node:http').Server).closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Answer {
  status: number;
  connection: string | undefined;
  reused: boolean;
  ms: number;
}

/**
 * POSTs `chunks` (sizes in bytes, each after its delay), chunked unless `length` is declared, and
 * ends the body unless `end` is false. Resolves with the answer once it is read; what the client
 * was still writing when the server answered may fail, as it would for a real client.
 */
function post({ chunks, end = true, length, agent }: { chunks: Array<{ size: number; afterMs?: number }>; end?: boolean; length?: number; agent?: Agent }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = false;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (length !== undefined) headers['content-length'] = String(length);
    const req = request(url, { method: 'POST', headers, agent: agent ?? false }, (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode!, connection: res.headers.connection, reused: req.reusedSocket, ms: performance.now() - started });
        if (!agent) req.destroy();
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      for (const { size, afterMs = 0 } of chunks) {
        if (afterMs > 0) await delay(afterMs);
        if (answered || req.destroyed) return;
        req.write(Buffer.alloc(size, 0x20));
      }
      if (end && !answered) req.end();
    })();
  });
}

describe('a refused body is read on within bounds', () => {
  it('serves a chunked body within the limit', async () => {
    expect(await post({ chunks: [{ size: 600 }, { size: 400, afterMs: 20 }] })).toMatchObject({ status: 200 });
  });

  it('a chunked body past the limit that ends within the bounds: 413, and the connection carries the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await post({ agent, chunks: [{ size: 800 }, { size: 800, afterMs: 20 }, { size: 8 * 1024, afterMs: 50 }] });
      expect(refused).toMatchObject({ status: 413, connection: 'keep-alive' });
      expect(await post({ agent, chunks: [{ size: 100 }] })).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('a chunked body that goes on past the byte bound: 413 before it ends, and the connection closed', async () => {
    // Twice the bound, in 1 KiB chunks: the answer comes once the bound is passed, not at the end.
    const chunks = Array.from({ length: (2 * DRAIN.maxBytes) / 1024 }, () => ({ size: 1024 }));
    const answer = await post({ chunks, end: false });
    expect(answer).toMatchObject({ status: 413, connection: 'close' });
    // Cut off at the byte bound, not left to run into the time bound.
    expect(answer.ms).toBeLessThan(DRAIN.maxMs);
  });

  it('a client that stops sending a refused chunked body: 413 once the time bound is up, and the connection closed', async () => {
    const answer = await post({ chunks: [{ size: 2 * LIMIT }], end: false });
    expect(answer).toMatchObject({ status: 413, connection: 'close' });
    // The rest was waited for, up to the bound, before the answer.
    expect(answer.ms).toBeGreaterThanOrEqual(DRAIN.maxMs * 0.9);
  });

  it('a declared length past the limit, the client stalling: 413 once the time bound is up, and the connection closed', async () => {
    const answer = await post({ length: 4 * LIMIT, chunks: [{ size: 100 }], end: false });
    expect(answer).toMatchObject({ status: 413, connection: 'close' });
    expect(answer.ms).toBeGreaterThanOrEqual(DRAIN.maxMs * 0.9);
  });

  it('a declared length past the byte bound: 413 at once, without waiting, and the connection closed', async () => {
    const answer = await post({ length: 2 * DRAIN.maxBytes, chunks: [{ size: 100 }], end: false });
    expect(answer).toMatchObject({ status: 413, connection: 'close' });
    expect(answer.ms).toBeLessThan(DRAIN.maxMs);
  });
});
