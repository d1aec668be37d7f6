import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { backoffDelay, CircuitBreaker, isRetryable, mergeNamespaced, namespaced, plainCalls, withRetry } from '../src/aggregate/index.js';

/** What the SDK's HTTP client transport throws for an HTTP error status. */
const httpError = (status: number, message: string) => new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, message, { status });

describe('retry', () => {
  it('caps the backoff and spreads it with full jitter', () => {
    expect(backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(800);
    expect(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 })).toBe(1000);
    expect(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.25 })).toBe(250);
  });

  it('retries transient failures up to the attempt limit, never a 4xx', async () => {
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
