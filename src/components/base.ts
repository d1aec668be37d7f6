import { GENERATOR_PACKAGE } from '../core/tool-info.js';
import type { Component } from './types.js';

/** Every generated project: the Hono + SDK server with the production base features. */
export const base: Component = {
  id: 'base',
  templates: ['base'],
  tests: { timeoutMs: 15_000 },
  dependencies: [
    '@modelcontextprotocol/server',
    'hono',
    '@hono/node-server',
    'zod',
    'jose',
    'pino',
    'prom-client',
    '@opentelemetry/api',
    '@opentelemetry/sdk-trace-node',
    '@opentelemetry/resources',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/semantic-conventions',
  ],
  // The tests drive /mcp with the SDK's client in both protocol eras.
  devDependencies: ['typescript', 'vitest', 'tsx', '@types/node', '@modelcontextprotocol/client', GENERATOR_PACKAGE],
  scripts: {
    // Build mode: a build with nothing changed since the last one (`npm start` after `npm run build`) ends at once.
    build: 'tsc -b tsconfig.build.json',
    prestart: 'npm run build',
    start: 'node dist/index.js',
    dev: 'tsx watch src/index.ts',
    typecheck: 'tsc -p tsconfig.json --noEmit',
    test: 'vitest run',
    // The project's own dev dependency on the generator: never a registry package named mcp-arch.
    verify: 'mcp-arch verify checklist',
  },
  env: [
    { name: 'PORT', default: '3000', schema: 'bounded(0, 65535)', description: 'TCP port to listen on' },
    {
      name: 'HOST',
      default: '127.0.0.1',
      schema: 'z.string().min(1)',
      description: 'Interface to bind; 0.0.0.0 inside containers (then AUTH_MODE must be set explicitly)',
    },
    {
      name: 'PUBLIC_URL',
      default: '',
      schema: 'httpUrl',
      description:
        'Public base URL (https://mcp.example.com) used in OAuth metadata; derived from the request when empty',
    },
    {
      name: 'ALLOWED_ORIGINS',
      default: '',
      example: 'http://localhost:3000',
      schema: 'list',
      description:
        "Comma-separated Origin allow-list; a request with any other Origin gets 403. Unset: on a loopback HOST only the server's own origin (http://localhost:PORT, http://127.0.0.1:PORT, http://[::1]:PORT) is allowed, on any other HOST no browser origin. Requests without Origin pass",
    },
    {
      name: 'ALLOWED_HOSTS',
      default: 'localhost,127.0.0.1,[::1]',
      schema: 'list',
      description: 'Comma-separated Host header allow-list (DNS rebinding protection); * disables the check',
    },
    {
      name: 'AUTH_MODE',
      default: '',
      example: 'apikey',
      schema: "oneOf(['none', 'apikey', 'jwt'])",
      description: 'none, apikey or jwt (unset: none on a loopback HOST, a start-up error on any other)',
    },
    {
      name: 'API_KEYS',
      default: '',
      schema: 'list',
      description:
        'Comma-separated API keys, at least 16 characters each (AUTH_MODE=apikey); e.g. openssl rand -hex 32',
      secret: true,
      requiredWhen: { AUTH_MODE: 'apikey' },
    },
    {
      name: 'JWT_JWKS_URL',
      default: '',
      schema: 'httpUrl',
      description: 'JWKS URL of the authorization server, https (AUTH_MODE=jwt)',
      requiredWhen: { AUTH_MODE: 'jwt' },
    },
    {
      name: 'JWT_ISSUER',
      default: '',
      schema: 'z.string().min(1)',
      description: 'Expected token issuer (AUTH_MODE=jwt)',
      requiredWhen: { AUTH_MODE: 'jwt' },
    },
    {
      name: 'JWT_AUDIENCE',
      default: '',
      schema: 'z.string().min(1)',
      description: "Expected token audience: this server's resource URL (AUTH_MODE=jwt)",
      requiredWhen: { AUTH_MODE: 'jwt' },
    },
    {
      name: 'JWT_REQUIRED_SCOPES',
      default: '',
      schema: 'list',
      description:
        'Comma-separated scopes every token must carry (AUTH_MODE=jwt); a token without them gets 403 insufficient_scope. Named in WWW-Authenticate and the resource metadata',
    },
    {
      name: 'RATE_LIMIT_RPS',
      default: '10',
      schema: 'bounded(0, 1_000_000)',
      description: 'Sustained requests per second per client identity; 0 disables rate limiting',
    },
    {
      name: 'RATE_LIMIT_BURST',
      default: '',
      schema: 'bounded(1, 1_000_000)',
      description:
        "Requests a client may send at once (token bucket size, refilled at RATE_LIMIT_RPS); empty means twice RATE_LIMIT_RPS and at least 40, room for a client's start (initialize, its lists, a few calls) in one go",
    },
    {
      name: 'TRUST_PROXY',
      default: 'false',
      schema: 'trustProxy',
      description: 'Number of reverse proxies in front whose X-Forwarded-For entries are trusted (true = 1)',
    },
    {
      name: 'LOG_LEVEL',
      default: 'info',
      schema: "oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])",
      description: 'pino log level: fatal, error, warn, info, debug, trace, silent',
    },
    {
      name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      default: '',
      schema: 'httpUrl',
      description: 'OTLP/HTTP endpoint (e.g. http://localhost:4318); tracing is on when set',
    },
    {
      name: 'OTEL_SERVICE_NAME',
      default: '',
      schema: 'z.string().min(1)',
      description: 'service.name of exported spans; the package name when empty',
    },
    {
      name: 'MCP_PROTOCOL',
      default: 'dual',
      schema: "oneOf(['dual', 'modern'])",
      description:
        'dual: MCP 2026-07-28 and 2025-era clients on /mcp; modern: 2026-07-28 only (a 2025 initialize gets -32022)',
    },
    {
      name: 'SESSION_MODE',
      default: 'stateless',
      schema: "oneOf(['stateless', 'stateful'])",
      description:
        'stateless, or stateful: 2025-era clients get MCP sessions (server-to-client requests, GET stream); needs MCP_PROTOCOL=dual',
    },
    {
      name: 'SESSION_IDLE_TIMEOUT_MS',
      default: '1800000',
      schema: 'bounded(1000, 86_400_000)',
      description: 'Stateful mode: close a session unused for this long',
    },
    {
      name: 'MAX_SESSIONS',
      default: '10000',
      schema: 'bounded(1, 1_000_000)',
      description: 'Stateful mode: sessions held at most; new ones get 503 beyond',
    },
    {
      name: 'MAX_BODY_BYTES',
      default: '1048576',
      schema: 'bounded(1024, 100 * 1024 * 1024)',
      description: 'Largest accepted request body; larger gets 413',
    },
    {
      name: 'REQUEST_TIMEOUT_MS',
      default: '30000',
      schema: 'bounded(100, 3_600_000)',
      description: 'Limit for a tool call (and for receiving a request); a slower call ends with a tool error',
    },
    {
      name: 'SHUTDOWN_DELAY_MS',
      default: '0',
      schema: 'bounded(0, 600_000)',
      description: 'After SIGTERM, keep serving this long with /ready at 503 so load balancers stop routing first',
    },
    {
      name: 'SHUTDOWN_TIMEOUT_MS',
      default: '8000',
      schema: 'bounded(100, 600_000)',
      description: 'Hard limit for draining after SIGTERM; exceeding it exits with code 1',
    },
  ],
  layout: {
    'src/index.ts': 'entry: config, start, signals',
    'src/start.ts': 'wiring: logger, metrics, tracing, sessions, HTTP server, shutdown',
    'src/app.ts': 'createApp(): the Hono app (reusable by other runtimes)',
    'src/config.ts': 'environment variables, validated with zod',
    'src/mcp/': 'what /mcp serves: MCP server, example tools (tools.ts), tool runner, transport, sessions',
    'src/middleware/': 'request-id, access-log, drain, origin, host, auth, rate-limit, body-limit',
    'src/http/': 'HTTP helpers: client address, errors, public URL, routes',
    'src/auth/': 'API key and JWT verifiers, protected resource metadata',
    'src/rate-limit/': 'the rate-limit store interface and the in-memory token bucket',
    'src/observability/': 'logger, metrics, tracing, request context',
    'src/lifecycle/': 'readiness registry, in-flight tracking, graceful shutdown',
    'test/': 'vitest suites against the real server',
    'monitoring/alerts.yml': 'Prometheus alerting rules',
    '.github/': 'CI workflow and dependency updates',
  },
  extending: 'extend-tools',
};
