import { describe, expect, it } from 'vitest';
import { check, messages, project } from './helpers.js';

const ID = 'resilience.circuit-breakers';

const BREAKER = `type State = 'closed' | 'open' | 'half-open';
export class CircuitBreaker {
  private state: State = 'closed';
  private failures = 0;
  private openedAt = 0;
  constructor(private readonly threshold = 5, private readonly coolDownMs = 10_000, private readonly now = Date.now) {}
  async call<T>(operation: () => Promise<T>): Promise<T> {
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.coolDownMs) throw new Error('circuit open');
      this.state = 'half-open';
    }
    try {
      const result = await operation();
      this.state = 'closed';
      this.failures = 0;
      return result;
    } catch (error) {
      this.failures++;
      if (this.state === 'half-open' || this.failures >= this.threshold) {
        this.state = 'open';
        this.openedAt = this.now();
      }
      throw error;
    }
  }
}
`;

describe(ID, () => {
  it('is n/a for a single server', async () => {
    expect((await check(await project(), ID)).status).toBe('n/a');
  });

  it('passes the generated gateway, which puts a breaker in front of each backend', async () => {
    const result = await check(await project({ pattern: 'gateway', deploy: ['docker'] }), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a gateway without a breaker', async () => {
    const result = await check(await project({ pattern: 'gateway', deploy: ['docker'], baseOnly: true }), ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No circuit breaker');
  });

  it('passes a breaker with open and half-open states', async () => {
    const target = await project({ pattern: 'gateway', deploy: ['docker'], baseOnly: true });
    await target.write('src/resilience/circuit-breaker.ts', BREAKER);
    const result = await check(target, ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a breaker that never half-opens', async () => {
    const target = await project({ pattern: 'gateway', deploy: ['docker'], baseOnly: true });
    await target.write(
      'src/resilience/circuit-breaker.ts',
      BREAKER.replace(" | 'half-open'", '')
        .replace("this.state = 'half-open';", "this.state = 'closed';")
        .replace("this.state === 'half-open' || ", ''),
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('no half-open state');
  });
});
