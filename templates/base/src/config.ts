import { z } from 'zod';

export type AuthConfig =
  | { mode: 'none' }
  | { mode: 'apikey'; apiKeys: string[] }
  | { mode: 'jwt'; jwksUrl: URL; issuer: string; audience: string };

export type SessionMode = 'stateless' | 'stateful';
export type SessionStoreKind = 'memory' | 'redis' | 'database' | 'hybrid';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  publicUrl?: URL;
  allowedOrigins: string[];
  /** `['*']` turns Host validation off. */
  allowedHosts: string[];
  auth: AuthConfig;
  /** 0 turns rate limiting off. */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** Number of reverse proxies in front of the server whose X-Forwarded-For entries are trusted. */
  trustProxy: number;
  logLevel: LogLevel;
  otlpEndpoint?: URL;
  serviceName?: string;
  sessionMode: SessionMode;
  sessionIdleTimeoutMs: number;
  maxSessions: number;
  /** Where session records live; anything but memory needs the store module (generated with --store). */
  sessionStore: SessionStoreKind;
  sessionTtlMs: number;
  redisUrl?: string;
  redisKeyPrefix: string;
  /** `file:path` (SQLite) or `postgres://...`. */
  databaseUrl?: string;
  sessionTable: string;
  /** Table of the shared rate limit buckets when SESSION_STORE=database. */
  rateLimitTable: string;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  /** Region this instance serves (multi-region deployments); named in responses, /health and metrics when set. */
  region?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MIN_API_KEY_LENGTH = 16;

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const bounded = (min: number, max: number) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int({ error: 'expected a whole number' })
    .min(min, { error: `expected at least ${min}` })
    .max(max, { error: `expected at most ${max}` });

const integer = (min: number, max: number, fallback: number) => bounded(min, max).default(fallback);

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of: ${values.join(', ')}` });

const trustProxy = z
  .string()
  .regex(/^(true|false|\d{1,2})$/, { error: 'expected true, false or a number of proxy hops' })
  .transform((value) => (value === 'true' ? 1 : value === 'false' ? 0 : Number(value)))
  .default(0);

const schema = z.object({
  PORT: integer(0, 65535, 3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: httpUrl.optional(),
  ALLOWED_ORIGINS: list.default([]),
  ALLOWED_HOSTS: list.default(['localhost', '127.0.0.1', '[::1]']),
  AUTH_MODE: oneOf(['none', 'apikey', 'jwt']).optional(),
  API_KEYS: list.default([]),
  JWT_JWKS_URL: httpUrl.optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  RATE_LIMIT_RPS: integer(0, 1_000_000, 10),
  RATE_LIMIT_BURST: bounded(1, 1_000_000).optional(),
  TRUST_PROXY: trustProxy,
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  SESSION_MODE: oneOf(['stateless', 'stateful']).default('stateless'),
  SESSION_IDLE_TIMEOUT_MS: integer(1000, 86_400_000, 30 * 60_000),
  MAX_SESSIONS: integer(1, 1_000_000, 10_000),
  SESSION_STORE: oneOf(['memory', 'redis', 'database', 'hybrid']).default('memory'),
  SESSION_TTL_MS: integer(1000, 30 * 86_400_000, 30 * 60_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL' }).optional(),
  REDIS_KEY_PREFIX: z.string().default('mcp:'),
  SESSION_TABLE: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/i, { error: 'expected a table name: letters, digits and _' }).default('mcp_sessions'),
  RATE_LIMIT_TABLE: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/i, { error: 'expected a table name: letters, digits and _' }).default('mcp_rate_limits'),
  DATABASE_URL: z.string().regex(/^(file:|postgres:\/\/|postgresql:\/\/)/, { error: 'expected file:path, postgres:// or postgresql://' }).optional(),
  MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024, 1024 * 1024),
  REQUEST_TIMEOUT_MS: integer(100, 3_600_000, 30_000),
  SHUTDOWN_DELAY_MS: integer(0, 600_000, 0),
  SHUTDOWN_TIMEOUT_MS: integer(100, 600_000, 8_000),
  REGION: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: 'expected a region name: lowercase letters, digits and -, e.g. eu-west' }).optional(),
});

type RawConfig = z.infer<typeof schema>;

/** Variables that may carry secrets: an error shows their shape, never their value. */
const SECRET_VARIABLES = new Set(['API_KEYS']);

function shown(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (SECRET_VARIABLES.has(name)) return `<${value.length} characters>`;
  // Connection URLs carry passwords in their user-info part.
  return value.replace(/\/\/[^/@\s]*@/, '//***@');
}

/**
 * Reads and validates the configuration. Throws a ConfigError that names every bad
 * variable, so a misconfigured deployment fails at start instead of at the first request.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty value (`JWT_ISSUER=` copied from .env.example) means "not set", not "set to nothing".
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name in schema.shape && value !== undefined && value.trim() !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'config');
        return `${name}: ${issue.message} (got ${JSON.stringify(shown(name, present[name]))})`;
      }),
    );
  }
  return toConfig(parsed.data);
}

function toConfig(raw: RawConfig): Config {
  const problems: string[] = [];
  const auth = authConfig(raw, problems);
  if ((raw.SESSION_STORE === 'redis' || raw.SESSION_STORE === 'hybrid') && raw.REDIS_URL === undefined) {
    problems.push(`REDIS_URL: required when SESSION_STORE=${raw.SESSION_STORE}; e.g. redis://127.0.0.1:6379`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: raw.PORT,
    host: raw.HOST,
    publicUrl: raw.PUBLIC_URL ? new URL(raw.PUBLIC_URL) : undefined,
    allowedOrigins: raw.ALLOWED_ORIGINS.map((origin) => origin.replace(/\/+$/, '').toLowerCase()),
    allowedHosts: raw.ALLOWED_HOSTS.map((host) => host.toLowerCase()),
    auth,
    rateLimitRps: raw.RATE_LIMIT_RPS,
    rateLimitBurst: raw.RATE_LIMIT_BURST ?? Math.max(1, raw.RATE_LIMIT_RPS * 2),
    trustProxy: raw.TRUST_PROXY,
    logLevel: raw.LOG_LEVEL,
    otlpEndpoint: raw.OTEL_EXPORTER_OTLP_ENDPOINT ? new URL(raw.OTEL_EXPORTER_OTLP_ENDPOINT) : undefined,
    serviceName: raw.OTEL_SERVICE_NAME,
    sessionMode: raw.SESSION_MODE,
    sessionIdleTimeoutMs: raw.SESSION_IDLE_TIMEOUT_MS,
    maxSessions: raw.MAX_SESSIONS,
    sessionStore: raw.SESSION_STORE,
    sessionTtlMs: raw.SESSION_TTL_MS,
    redisUrl: raw.REDIS_URL,
    redisKeyPrefix: raw.REDIS_KEY_PREFIX,
    databaseUrl: raw.DATABASE_URL,
    sessionTable: raw.SESSION_TABLE,
    rateLimitTable: raw.RATE_LIMIT_TABLE,
    maxBodyBytes: raw.MAX_BODY_BYTES,
    requestTimeoutMs: raw.REQUEST_TIMEOUT_MS,
    shutdownDelayMs: raw.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    region: raw.REGION,
  };
}

function authConfig(raw: RawConfig, problems: string[]): AuthConfig {
  const mode = raw.AUTH_MODE;
  if (mode === undefined) {
    // Serving without authentication is fine on loopback; anywhere else it must be a decision.
    if (!isLoopbackHost(raw.HOST)) {
      problems.push(
        `AUTH_MODE: not set while HOST=${raw.HOST} is reachable from other machines; ` +
          'set AUTH_MODE=apikey (with API_KEYS) or AUTH_MODE=jwt (with JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE), ' +
          'or AUTH_MODE=none to serve without authentication on purpose',
      );
    }
    return { mode: 'none' };
  }
  if (mode === 'none') return { mode };
  if (mode === 'apikey') {
    if (raw.API_KEYS.length === 0) {
      problems.push('API_KEYS: required when AUTH_MODE=apikey; set a comma-separated list of keys (e.g. from `openssl rand -hex 32`)');
    }
    if (raw.API_KEYS.some((key) => key.length < MIN_API_KEY_LENGTH)) {
      problems.push(`API_KEYS: every key must be at least ${MIN_API_KEY_LENGTH} characters long`);
    }
    return { mode, apiKeys: raw.API_KEYS };
  }
  const missing = (['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const).filter((name) => raw[name] === undefined);
  for (const name of missing) problems.push(`${name}: required when AUTH_MODE=jwt`);
  if (raw.JWT_JWKS_URL) {
    const jwksUrl = new URL(raw.JWT_JWKS_URL);
    if (jwksUrl.protocol !== 'https:' && !isLoopbackHost(jwksUrl.hostname)) {
      problems.push('JWT_JWKS_URL: must use https (plain http is only accepted on loopback)');
    }
  }
  return {
    mode,
    jwksUrl: new URL(raw.JWT_JWKS_URL ?? 'http://127.0.0.1/'),
    issuer: raw.JWT_ISSUER ?? '',
    audience: raw.JWT_AUDIENCE ?? '',
  };
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
