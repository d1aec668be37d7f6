import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { loadServerlessConfig, toolBudgetMs } from '../src/serverless/config.js';

const BASE = { AUTH_MODE: 'none', FUNCTION_TIMEOUT_SECONDS: '29' };

describe('serverless configuration', () => {
  it('bounds tool calls below the function timeout by default', () => {
    const { config, functionTimeoutMs } = loadServerlessConfig(BASE);
    expect(functionTimeoutMs).toBe(29_000);
    expect(config.requestTimeoutMs).toBe(26_000);
    expect(config.requestTimeoutMs).toBe(toolBudgetMs(functionTimeoutMs));
    expect(config.sessionMode).toBe('stateless');
    expect(config.allowedHosts).toEqual(['*']);
  });

  it('keeps a margin on short functions too', () => {
    expect(toolBudgetMs(3_000)).toBe(2_400);
    expect(loadServerlessConfig({ ...BASE, FUNCTION_TIMEOUT_SECONDS: '3' }).config.requestTimeoutMs).toBe(2_400);
  });

  it('takes the platform default when FUNCTION_TIMEOUT_SECONDS is not set', () => {
    const { functionTimeoutMs } = loadServerlessConfig({ AUTH_MODE: 'none' }, { defaultFunctionTimeoutSeconds: 60 });
    expect(functionTimeoutMs).toBe(60_000);
  });

  it('keeps explicit settings that fit', () => {
    const { config } = loadServerlessConfig({ ...BASE, REQUEST_TIMEOUT_MS: '5000', ALLOWED_HOSTS: 'mcp.example.com' });
    expect(config.requestTimeoutMs).toBe(5000);
    expect(config.allowedHosts).toEqual(['mcp.example.com']);
  });

  it('names every problem at once, with the base configuration\'s', () => {
    let error: unknown;
    try {
      loadServerlessConfig({ FUNCTION_TIMEOUT_SECONDS: '1000', SESSION_MODE: 'stateful', RATE_LIMIT_RPS: 'lots' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/FUNCTION_TIMEOUT_SECONDS: expected a whole number of seconds from 1 to 900 \(got "1000"\)/);
    expect(problems).toMatch(/SESSION_MODE: functions keep nothing between invocations, so only stateless is supported/);
    expect(problems).toMatch(/AUTH_MODE: required/);
    expect(problems).toMatch(/RATE_LIMIT_RPS: expected a number/);
  });

  it('refuses a tool timeout the function cannot honour, saying how to fix it', () => {
    expect(() => loadServerlessConfig({ ...BASE, REQUEST_TIMEOUT_MS: '26001' })).toThrow(/REQUEST_TIMEOUT_MS: 26001 ms does not end before the function timeout of 29 s \(at most 26000 ms/);
  });
});
