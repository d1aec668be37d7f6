import { describe, expect, it } from 'vitest';
import { check, messages, project } from './helpers.js';

const ID = 'resilience.connection-retry';

const RETRY = `export async function withRetry<T>(operation: () => Promise<T>, { maxAttempts = 5, baseMs = 100, maxDelayMs = 5_000 } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const status = (error as { status?: number }).status;
      const retryable = status === undefined || status >= 500 || status === 429;
      if (!retryable || attempt >= maxAttempts) throw error;
      const delay = Math.random() * Math.min(maxDelayMs, baseMs * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
`;

/** Base files of a gateway on the memory store: no store client, whose reconnect would be retry logic of its own. */
function withoutRedisReconnect() {
  return project({ pattern: 'gateway', store: 'memory', deploy: ['docker'], baseOnly: true });
}

describe(ID, () => {
  it('is n/a for a single server, which has no external dependencies', async () => {
    const result = await check(await project(), ID);
    expect(result.status).toBe('n/a');
  });

  it('fails a pattern with dependencies and no retry logic', async () => {
    const result = await check(await withoutRedisReconnect(), ID);
    expect(result.status).toBe('fail');
  });

  it('passes the generated gateway, whose backend calls retry with capped, jittered backoff', async () => {
    const result = await check(await project({ pattern: 'gateway', deploy: ['docker'] }), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('passes capped, jittered retries that skip 4xx', async () => {
    const target = await withoutRedisReconnect();
    await target.write('src/resilience/retry.ts', RETRY);
    const result = await check(target, ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails retries without jitter', async () => {
    const target = await withoutRedisReconnect();
    await target.write('src/resilience/retry.ts', RETRY.replace('Math.random() * ', ''));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('no jitter');
  });

  it('fails retries without a cap', async () => {
    const target = await withoutRedisReconnect();
    await target.write(
      'src/resilience/retry.ts',
      RETRY.replace('Math.min(maxDelayMs, baseMs * 2 ** attempt)', 'baseMs * 2 ** attempt').replace(
        ', maxDelayMs = 5_000',
        '',
      ),
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('no delay cap');
  });
});
