import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import type { Backend } from '../src/aggregate/backend.js';
import {
  AggregateErrorCode,
  backoffDelay,
  Catalog,
  CircuitBreaker,
  isRetryable,
  LIST_FAILURE_BACKOFF,
  mergeNamespaced,
  namespaced,
  plainCalls,
  silentLogger,
  withRetry,
  type AggregateLogger,
} from '../src/aggregate/index.js';

/** What the SDK's HTTP client transport throws for an HTTP error status. */
const httpError = (status: number, message: string) => new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, message, { status });

describe('retry', () => {
  it('caps the backoff and spreads it with full jitter', () => {
    expect(backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(800);
    expect(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(1000);
    expect(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.25 })).toBe(250);
  });

  it('retries transient failures up to the attempt limit, never a 4xx or an error the backend answered with', async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('fetch failed'); }, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 })).rejects.toThrow('fetch failed');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw httpError(401, 'unauthorized'); }, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 })).rejects.toThrow('unauthorized');
    expect(calls).toBe(1);
    calls = 0;
    expect(await withRetry(async () => { if (++calls < 2) throw httpError(503, 'busy'); return 'ok'; }, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 })).toBe('ok');
    expect(isRetryable(httpError(429, 'slow down'))).toBe(true);
    expect(isRetryable(httpError(404, 'gone'))).toBe(false);
    // A list cut off at the backend's maxListPages is as long when asked again.
    expect(isRetryable(new SdkError(SdkErrorCode.ListPaginationExceeded, 'tools/list: exceeded listMaxPages (1)'))).toBe(false);
    expect(isRetryable(new SdkError(SdkErrorCode.RequestTimeout, 'timed out'))).toBe(true);
    // An error the backend answered with is its answer the next time; one it could not be reached for is not.
    expect(isRetryable(new ProtocolError(ProtocolErrorCode.InternalError, 'tools/list failed'))).toBe(false);
    expect(isRetryable(new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found'))).toBe(false);
    expect(isRetryable(new SdkError(SdkErrorCode.InvalidResult, 'invalid tools/list result'))).toBe(false);
    expect(isRetryable(new ProtocolError(AggregateErrorCode.BackendUnavailable, 'Backend "a" is unavailable: connect ECONNREFUSED'))).toBe(true);
    expect(isRetryable(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'))).toBe(true);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, fails fast, lets one probe through when half-open, and closes on success', () => {
    let now = 0;
    const states: string[] = [];
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: () => now, onStateChange: (s) => states.push(s) });
    breaker.failure();
    breaker.failure();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    now = 1000;
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.failure();
    expect(breaker.state).toBe('open');
    now = 2500;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('a success resets the count of consecutive failures', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 });
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe('closed');
  });
});

describe('namespacing', () => {
  it('prefixes with __, keeps names for an empty prefix, and reports collisions and invalid names', () => {
    expect(namespaced('files', 'read')).toBe('files__read');
    expect(namespaced('', 'read')).toBe('read');
    const merged = mergeNamespaced('tool', [
      { backend: 'a', entries: [{ key: 'x__echo', value: 1 }, { key: 'bad name', value: 2 }] },
      { backend: 'b', entries: [{ key: 'x__echo', value: 3 }, { key: 'b__add', value: 4 }] },
    ]);
    expect([...merged.entries].map(([key, entry]) => [key, entry.backend, entry.value])).toEqual([
      ['x__echo', 'a', 1],
      ['b__add', 'b', 4],
    ]);
    expect(merged.collisions.map((c) => c.message)).toEqual([
      expect.stringContaining('"bad name" contains characters MCP names do not allow'),
      expect.stringContaining('tool "x__echo" is exposed by a and b'),
    ]);
  });
});

describe('tasks', () => {
  it('leaves out a tool that runs only as a task and lists one that may as a plain call', () => {
    const schema = { type: 'object' as const };
    const listed = plainCalls([
      { name: 'report', inputSchema: schema, execution: { taskSupport: 'required' } },
      { name: 'export', inputSchema: schema, execution: { taskSupport: 'optional' } },
      { name: 'echo', inputSchema: schema, execution: { taskSupport: 'forbidden' } },
      { name: 'ping', inputSchema: schema },
    ]);
    expect(listed.map((tool) => tool.name)).toEqual(['export', 'echo', 'ping']);
    expect(listed.every((tool) => tool.execution?.taskSupport === undefined)).toBe(true);
    expect(listed.find((tool) => tool.name === 'export')).toEqual({ name: 'export', inputSchema: schema });
  });
});

describe('catalog', () => {
  /** A backend whose `tools/list` fails while `failing` is set, counting how often it is asked. */
  function flakyBackend(name: string) {
    const state = { failing: true, asked: 0, status: 503 };
    const client = {
      listTools: async () => {
        state.asked++;
        if (state.failing) throw httpError(state.status, 'refused');
        return { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] };
      },
    };
    const backend = {
      name,
      ready: true,
      capabilities: { tools: {} },
      config: { name, enabled: true, prefix: name, timeoutMs: 1000, maxListPages: 64 },
      run: (_method: string, operation: (c: typeof client) => Promise<unknown>) => operation(client),
    } as unknown as Backend;
    return { backend, state };
  }

  /** A logger that keeps the fields of every warning. */
  function recordingLogger() {
    const warnings: Record<string, unknown>[] = [];
    const logger: AggregateLogger = { debug() {}, info() {}, error() {}, warn: (fields) => void warnings.push(fields as Record<string, unknown>) };
    return { logger, warnings };
  }

  it('leaves a backend whose listing failed out for a growing while, and asks again at once when it announces a change', async () => {
    let now = 0;
    const { logger, warnings } = recordingLogger();
    const flaky = flakyBackend('flaky');
    const steady = flakyBackend('steady');
    steady.state.failing = false;
    const catalog = new Catalog([flaky.backend, steady.backend], logger, { now: () => now });
    const names = async () => (await catalog.list('tools')).map((tool) => tool.name);

    expect(await names()).toEqual(['steady__echo']);
    // One listing: three attempts (the retries of a transient failure), then left out.
    expect(flaky.state.asked).toBe(3);
    expect(warnings).toEqual([expect.objectContaining({ backend: 'flaky', kind: 'tools', failures: 1, retryInMs: LIST_FAILURE_BACKOFF.baseDelayMs })]);
    // Other clients listing within the backoff do not ask the failing backend again.
    expect(await names()).toEqual(['steady__echo']);
    expect(await names()).toEqual(['steady__echo']);
    expect(flaky.state.asked).toBe(3);
    expect(warnings).toHaveLength(1);
    // After it, the backend is asked again; failing again doubles the wait.
    now += LIST_FAILURE_BACKOFF.baseDelayMs;
    expect(await names()).toEqual(['steady__echo']);
    expect(flaky.state.asked).toBe(6);
    expect(warnings[1]).toEqual(expect.objectContaining({ failures: 2, retryInMs: 2 * LIST_FAILURE_BACKOFF.baseDelayMs }));
    now += LIST_FAILURE_BACKOFF.baseDelayMs;
    await names();
    expect(flaky.state.asked).toBe(6);
    // A change the backend announces (or a reconnect) asks at once; a success forgets the failures.
    flaky.state.failing = false;
    catalog.invalidate(flaky.backend, ['tools']);
    expect(await names()).toEqual(['flaky__echo', 'steady__echo']);
    expect(flaky.state.asked).toBe(7);
    // The steady backend was asked once in all: its list is cached until it changes.
    expect(steady.state.asked).toBe(1);
    flaky.state.failing = true;
    catalog.invalidate(flaky.backend, ['tools']);
    await names();
    expect(warnings[2]).toEqual(expect.objectContaining({ failures: 1, retryInMs: LIST_FAILURE_BACKOFF.baseDelayMs }));
  });

  it('says when a failed list may be asked for again, once per wait, and not after it loaded or changed', async () => {
    vi.useFakeTimers();
    try {
      const flaky = flakyBackend('flaky');
      flaky.state.status = 401;
      const due: string[] = [];
      const catalog = new Catalog([flaky.backend], silentLogger, { retryDue: (kind) => void due.push(kind) });
      await catalog.list('tools');
      await vi.advanceTimersByTimeAsync(LIST_FAILURE_BACKOFF.baseDelayMs - 1);
      expect(due).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(due).toEqual(['tools']);
      // Failing again: due after twice the wait.
      await catalog.list('tools');
      await vi.advanceTimersByTimeAsync(2 * LIST_FAILURE_BACKOFF.baseDelayMs - 1);
      expect(due).toEqual(['tools']);
      await vi.advanceTimersByTimeAsync(1);
      expect(due).toEqual(['tools', 'tools']);
      // Listed at once after a change the backend announced, and loaded: nothing is due any more.
      await catalog.list('tools');
      flaky.state.failing = false;
      catalog.invalidate(flaky.backend, ['tools']);
      expect((await catalog.list('tools')).map((tool) => tool.name)).toEqual(['flaky__echo']);
      await vi.advanceTimersByTimeAsync(LIST_FAILURE_BACKOFF.maxDelayMs);
      expect(due).toEqual(['tools', 'tools']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never waits longer than the backoff cap', async () => {
    let now = 0;
    const flaky = flakyBackend('flaky');
    // Not retried within a listing (a 4xx does not fix itself): one request per listing.
    flaky.state.status = 401;
    const { logger, warnings } = recordingLogger();
    const catalog = new Catalog([flaky.backend], logger, { now: () => now });
    for (let failures = 1; failures <= 7; failures++) {
      await catalog.list('tools');
      now += LIST_FAILURE_BACKOFF.maxDelayMs;
    }
    expect(flaky.state.asked).toBe(7);
    expect(warnings.map((w) => w.retryInMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
