import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { PROJECT_PROTOCOL } from './helpers.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has safe defaults for local use', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      auth: { mode: 'none' },
      sessionMode: 'stateless',
      rateLimitRps: 10,
      rateLimitBurst: 40,
      maxBodyBytes: 1024 * 1024,
      trustProxy: 0,
      allowedOrigins: [],
    });
    expect(config.otlpEndpoint).toBeUndefined();
  });

  it('reads the protocol posture, and refuses sessions for a modern-only server', () => {
    // Unset, the server keeps the posture the project was generated with.
    expect(loadConfig({}).protocol).toBe(PROJECT_PROTOCOL);
    expect(loadConfig({ MCP_PROTOCOL: 'modern' }).protocol).toBe('modern');
    expect(loadConfig({ MCP_PROTOCOL: 'dual', SESSION_MODE: 'stateful' })).toMatchObject({ protocol: 'dual', sessionMode: 'stateful' });
    expect(problemsOf({ MCP_PROTOCOL: 'modern', SESSION_MODE: 'stateful' })).toMatch(/SESSION_MODE: .*MCP_PROTOCOL=modern.*set MCP_PROTOCOL=dual/);
    expect(problemsOf({ MCP_PROTOCOL: '2025' })).toMatch(/MCP_PROTOCOL: expected one of: dual, modern/);
  });

  it('treats empty values as unset, as in a copied .env.example', () => {
    expect(loadConfig({ PORT: '', JWT_ISSUER: '', OTEL_EXPORTER_OTLP_ENDPOINT: '' }).port).toBe(3000);
  });

  it('never echoes a secret or a connection password in a config error', () => {
    // Any URL may carry credentials in its user-info part, the store's and the collector's alike.
    const message = problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://admin:hunter2-secret@collector:4318/v1', PORT: 'x' });
    expect(message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: .*ftp:\/\/\*\*\*@collector:4318\/v1/);
    expect(message).not.toContain('hunter2-secret');
  });

  it('names the variable of an invalid value', () => {
    expect(problemsOf({ PORT: 'eighty' })).toMatch(/PORT: .*"eighty"/);
    expect(problemsOf({ PORT: '70000' })).toMatch(/PORT: expected at most 65535/);
    expect(problemsOf({ SESSION_MODE: 'sticky' })).toMatch(/SESSION_MODE: expected one of: stateless, stateful/);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(problemsOf({ TRUST_PROXY: 'maybe' })).toMatch(/TRUST_PROXY/);
  });

  it('requires API_KEYS for AUTH_MODE=apikey, and keys of a sane length', () => {
    expect(problemsOf({ AUTH_MODE: 'apikey' })).toMatch(/API_KEYS: required when AUTH_MODE=apikey/);
    expect(problemsOf({ AUTH_MODE: 'apikey', API_KEYS: 'short' })).toMatch(/API_KEYS: every key must be at least 16/);
    expect(loadConfig({ AUTH_MODE: 'apikey', API_KEYS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb ' }).auth).toEqual({
      mode: 'apikey',
      apiKeys: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'],
    });
  });

  it('requires the JWKS URL, issuer and audience for AUTH_MODE=jwt', () => {
    const message = problemsOf({ AUTH_MODE: 'jwt', JWT_ISSUER: 'https://issuer.example' });
    expect(message).toMatch(/JWT_JWKS_URL: required when AUTH_MODE=jwt/);
    expect(message).toMatch(/JWT_AUDIENCE: required when AUTH_MODE=jwt/);
    expect(message).not.toMatch(/JWT_ISSUER/);
    expect(
      problemsOf({ AUTH_MODE: 'jwt', JWT_JWKS_URL: 'http://auth.example/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }),
    ).toMatch(/JWT_JWKS_URL: must use https/);
  });

  it('refuses to serve other machines without an explicit AUTH_MODE', () => {
    expect(problemsOf({ HOST: '0.0.0.0' })).toMatch(/AUTH_MODE: not set while HOST=0.0.0.0/);
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_MODE: 'none' }).auth.mode).toBe('none');
  });

  it('parses lists, proxies and limits', () => {
    const config = loadConfig({
      ALLOWED_ORIGINS: 'https://A.example/, https://b.example',
      ALLOWED_HOSTS: 'mcp.example.com',
      TRUST_PROXY: 'true',
      RATE_LIMIT_RPS: '5',
      RATE_LIMIT_BURST: '7',
    });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.allowedHosts).toEqual(['mcp.example.com']);
    expect(config.trustProxy).toBe(1);
    expect(config.rateLimitBurst).toBe(7);
  });
});
