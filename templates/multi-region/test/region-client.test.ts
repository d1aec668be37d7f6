import { describe, expect, it } from 'vitest';
import type { Clock } from '../src/client/clock.js';
import { AllRegionsDownError } from '../src/client/errors.js';
import { CircuitBreaker } from '../src/client/circuit-breaker.js';
import { RegionClient } from '../src/client/region-client.js';

/** A clock that moves only when told to: latency and timeouts become exact. */
class FakeClock implements Clock {
  private time = 0;
  private timers: Array<{ due: number; callback: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ due: this.time + ms, callback, id });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };
  /** The time of the next timer, if any. */
  nextDue(): number | undefined {
    return this.timers.length > 0 ? Math.min(...this.timers.map((t) => t.due)) : undefined;
  }
  /** Moves time forward, firing what falls due. */
  advance(ms: number) {
    const until = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= until).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.time = next.due;
      this.clearTimeout(next.id);
      next.callback();
    }
    this.time = until;
  }
}

const REGIONS = ['us-east', 'eu-west', 'ap-southeast'].map((name) => ({ name, url: `https://${name}.example.com/mcp`, healthUrl: `https://${name}.example.com/health` }));
const regionOf = (input: unknown) => new URL(String(input)).hostname.split('.')[0]!;
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Settles `promise`, moving the fake clock from timer to timer whenever nothing else can happen. */
async function settle<T>(promise: Promise<T>, clock: FakeClock): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i += 1) {
    await flush();
    const due = clock.nextDue();
    if (!done && due !== undefined) clock.advance(due - clock.now());
  }
  return tracked;
}

/** A fetch answering after `latency` ms of fake time (several in flight at once, as in reality). */
const answerAfter = (clock: FakeClock, latency: number, response: () => Response) =>
  new Promise<Response>((resolve) => clock.setTimeout(() => resolve(response()), latency));

describe('region latency discovery (injected clock)', () => {
  it('ranks healthy regions by their fastest /health answer, measured on the injected clock', async () => {
    const clock = new FakeClock();
    const latency: Record<string, number[]> = { 'us-east': [90, 80], 'eu-west': [30, 12], 'ap-southeast': [45, 41] };
    const calls: Record<string, number> = {};
    const fakeFetch = (async (input: unknown) => {
      const name = regionOf(input);
      const n = (calls[name] = (calls[name] ?? 0) + 1);
      return answerAfter(clock, latency[name]![n - 1]!, () => Response.json({ status: 'ok', region: name }));
    }) as typeof fetch;
    const client = new RegionClient({ regions: REGIONS, clock, fetch: fakeFetch, probeSamples: 2 });
    const ranking = await settle(client.probe(), clock);
    expect(ranking.map((s) => [s.name, s.latencyMs])).toEqual([
      ['eu-west', 12],
      ['ap-southeast', 41],
      ['us-east', 80],
    ]);
    expect(calls).toEqual({ 'us-east': 2, 'eu-west': 2, 'ap-southeast': 2 });
  });

  it('counts a region that does not answer within probeTimeoutMs as down', async () => {
    const clock = new FakeClock();
    const fakeFetch = ((input: unknown, init?: RequestInit) => {
      if (regionOf(input) !== 'us-east') return Promise.resolve(Response.json({ status: 'ok' }));
      return new Promise<Response>((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)));
    }) as typeof fetch;
    const client = new RegionClient({ regions: REGIONS, clock, fetch: fakeFetch, probeTimeoutMs: 750, probeSamples: 1 });
    const probing = client.probe();
    await flush();
    clock.advance(749);
    await flush();
    expect(client.status()[0]!.error).toBe('not probed yet');
    clock.advance(1);
    const ranking = await probing;
    expect(ranking.map((s) => s.name)).toEqual(['eu-west', 'ap-southeast']);
    expect(client.status()[0]).toEqual({ name: 'us-east', healthy: false, error: 'no answer within 750 ms' });
  });

  it('treats a non-2xx /health as down', async () => {
    const fakeFetch = (async (input: unknown) => (regionOf(input) === 'eu-west' ? new Response('draining', { status: 503 }) : Response.json({ status: 'ok' }))) as typeof fetch;
    const client = new RegionClient({ regions: REGIONS, clock: new FakeClock(), fetch: fakeFetch });
    expect((await client.probe()).map((s) => s.name)).not.toContain('eu-west');
    expect(client.status()[1]).toMatchObject({ name: 'eu-west', healthy: false, error: 'GET /health answered 503' });
  });

  it('gives a clear error naming every region when all are down', async () => {
    const fakeFetch = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    const client = new RegionClient({ regions: REGIONS, clock: new FakeClock(), fetch: fakeFetch });
    const error = await client.callTool('echo', { text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllRegionsDownError);
    expect((error as Error).message).toMatch(/every region is unavailable: us-east \(fetch failed: ECONNREFUSED\); eu-west .*; ap-southeast /);
    await client.close();
  });

  it('takes every timing as an option, with documented defaults', () => {
    const client = new RegionClient({ regions: REGIONS, requestTimeoutMs: 1500, reprobeIntervalMs: 0 });
    expect(client.timings).toEqual({
      probeTimeoutMs: 2000,
      probeSamples: 2,
      connectTimeoutMs: 5000,
      requestTimeoutMs: 1500,
      reprobeIntervalMs: 0,
      switchMarginMs: 10,
      coolDownMs: 5000,
      maxCoolDownMs: 60000,
    });
    expect(() => new RegionClient({ regions: [] })).toThrow(/at least one region/);
    expect(() => new RegionClient({ regions: REGIONS, failureThreshold: 0 })).toThrow(/failureThreshold/);
  });
});

describe('circuit breaker per region (injected clock and randomness)', () => {
  const breaker = (clock: FakeClock, random = () => 0.999999, failureThreshold = 2) =>
    new CircuitBreaker({ failureThreshold, coolDownMs: 1000, maxCoolDownMs: 3000, clock, random });

  it('opens after failureThreshold consecutive failures and lets one test through after the cool-down', () => {
    const clock = new FakeClock();
    const b = breaker(clock);
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.allowsRequest).toBe(false);
    clock.advance(999);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half-open');
    expect(b.allowsRequest).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe('closed');
  });

  it('re-opens on a failed test with a doubled, capped cool-down', () => {
    const clock = new FakeClock();
    const b = breaker(clock, () => 0.999999, 1);
    const cooldowns: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      b.recordFailure();
      expect(b.state).toBe('open');
      cooldowns.push(Math.round(b.retryInMs));
      clock.advance(b.retryInMs);
      expect(b.state).toBe('half-open');
    }
    expect(cooldowns).toEqual([1000, 2000, 3000, 3000]);
  });

  it('jitters the cool-down between half and all of it', () => {
    const clock = new FakeClock();
    const low = breaker(clock, () => 0, 1);
    low.recordFailure();
    expect(low.retryInMs).toBe(500);
    const mid = breaker(clock, () => 0.5, 1);
    mid.recordFailure();
    expect(mid.retryInMs).toBe(750);
  });

  it('keeps a region with an open breaker out of probes until its cool-down has passed', async () => {
    const clock = new FakeClock();
    const probed: string[] = [];
    let euDown = true;
    const fakeFetch = (async (input: unknown) => {
      const name = regionOf(input);
      probed.push(name);
      if (name === 'eu-west' && euDown) throw new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
      return Response.json({ status: 'ok' });
    }) as typeof fetch;
    const client = new RegionClient({ regions: REGIONS, clock, fetch: fakeFetch, probeSamples: 1, coolDownMs: 1000, random: () => 0.999999 });
    await client.probe();
    expect(client.breakerStates()).toEqual({ 'us-east': 'closed', 'eu-west': 'open', 'ap-southeast': 'closed' });
    probed.length = 0;
    await client.probe();
    expect(probed.sort()).toEqual(['ap-southeast', 'us-east']);
    expect(client.status()[1]!.error).toMatch(/^circuit open, next test in \d+ ms: fetch failed: ECONNREFUSED$/);
    euDown = false;
    clock.advance(1000);
    probed.length = 0;
    const ranking = await client.probe();
    expect(probed).toContain('eu-west');
    expect(ranking.map((s) => s.name)).toContain('eu-west');
    expect(client.breakerStates()['eu-west']).toBe('closed');
  });
});
