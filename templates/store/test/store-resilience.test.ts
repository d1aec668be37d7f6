import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from './memory-session-store.js';
import { sessionStoreContract, TTL } from './store-contract.js';
import { withResilience, type BreakerState } from '../src/store/resilient.js';
import { DuplicateSessionError, SessionStoreUnavailableError, type SessionStore } from '../src/store/session-store.js';

/** A real store behind a switch: while `down`, every call fails as an unreachable service would. */
function flakyStore() {
  const inner = new MemorySessionStore({ ttlMs: 60_000 });
  const state = { down: false, failNext: 0, calls: 0 };
  const guard = <T>(operation: () => Promise<T>) => async () => {
    state.calls += 1;
    if (state.down || state.failNext > 0) {
      state.failNext = Math.max(0, state.failNext - 1);
      throw new SessionStoreUnavailableError('test', new Error('connection refused'));
    }
    return operation();
  };
  const store: SessionStore = {
    create: (s) => guard(() => inner.create(s))(),
    get: (id) => guard(() => inner.get(id))(),
    touch: (id) => guard(() => inner.touch(id))(),
    delete: (id) => guard(() => inner.delete(id))(),
    listByUser: (u) => guard(() => inner.listByUser(u))(),
    purgeExpired: () => guard(() => inner.purgeExpired())(),
    ping: () => guard(async () => {})(),
    close: () => inner.close(),
  };
  return { store, state };
}

function harness(options: { failureThreshold?: number; coolDownMs?: number } = {}) {
  const clock = { value: 0 };
  const delays: number[] = [];
  const states: BreakerState[] = [];
  const { store, state } = flakyStore();
  const resilient = withResilience(store, 'test', {
    now: () => clock.value,
    random: () => 0.5,
    sleep: async (ms) => void delays.push(ms),
    onStateChange: (s) => states.push(s),
    maxAttempts: 3,
    baseDelayMs: 20,
    maxDelayMs: 50,
    ...options,
  });
  return { resilient, state, clock, delays, states };
}

describe('session store resilience', () => {
  it('retries a transient failure of a safe operation with capped, jittered backoff', async () => {
    const { resilient, state, delays } = harness();
    await resilient.create({ sessionId: 's1', userId: 'u1' });
    state.failNext = 2;
    expect(await resilient.get('s1')).toMatchObject({ sessionId: 's1' });
    // Full jitter (random 0.5) of min(50, 20 * 2^n).
    expect(delays).toEqual([20, 25]);
  });

  it('gives up after the attempt limit with the store error', async () => {
    const { resilient, state } = harness({ failureThreshold: 100 });
    state.down = true;
    await expect(resilient.touch('s1')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(state.calls).toBe(3);
  });

  it('never retries create, nor an error that is not the service being unreachable', async () => {
    const { resilient, state } = harness();
    state.failNext = 1;
    await expect(resilient.create({ sessionId: 's2', userId: 'u1' })).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(state.calls).toBe(1);
    await resilient.create({ sessionId: 's2', userId: 'u1' });
    const before = state.calls;
    await expect(resilient.create({ sessionId: 's2', userId: 'u1' })).rejects.toBeInstanceOf(DuplicateSessionError);
    expect(state.calls).toBe(before + 1);
  });

  it('opens after the failure threshold and then fails fast without calling the store', async () => {
    const { resilient, state, states } = harness({ failureThreshold: 3 });
    state.down = true;
    await expect(resilient.create({ sessionId: 'a', userId: 'u' })).rejects.toThrow();
    await expect(resilient.create({ sessionId: 'b', userId: 'u' })).rejects.toThrow();
    await expect(resilient.create({ sessionId: 'c', userId: 'u' })).rejects.toThrow();
    expect(states).toEqual(['open']);
    const calls = state.calls;
    await expect(resilient.get('a')).rejects.toThrow(/circuit breaker open/);
    await expect(resilient.listByUser('u')).rejects.toThrow(/circuit breaker open/);
    expect(state.calls).toBe(calls);
    // Readiness still asks the service itself.
    await expect(resilient.ping()).rejects.toThrow(/connection refused/);
  });

  it('lets one probe through after the cool-down: success closes, failure opens again', async () => {
    const { resilient, state, clock, states } = harness({ failureThreshold: 1, coolDownMs: 1000 });
    state.down = true;
    await expect(resilient.create({ sessionId: 'a', userId: 'u' })).rejects.toThrow(/connection refused/);
    clock.value = 999;
    await expect(resilient.get('a')).rejects.toThrow(/circuit breaker open/);
    clock.value = 1000;
    // Half-open probe fails: open again, for another cool-down.
    await expect(resilient.get('a')).rejects.toThrow(/connection refused/);
    expect(states).toEqual(['open', 'half-open', 'open']);
    state.down = false;
    clock.value = 1500;
    await expect(resilient.get('a')).rejects.toThrow(/circuit breaker open/);
    clock.value = 2000;
    expect(await resilient.get('a')).toBeUndefined();
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    await resilient.create({ sessionId: 'a', userId: 'u' });
    expect(await resilient.get('a')).toMatchObject({ sessionId: 'a' });
  });
});

// The in-memory double the tests above wrap keeps the same contract as the real stores.
sessionStoreContract('memory (test double)', async (clock) => {
  const store = new MemorySessionStore({ ttlMs: TTL, now: clock.now });
  return { store, cleanup: () => store.close() };
});
