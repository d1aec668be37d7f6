/**
 * The one place where dependency versions of generated projects are pinned.
 *
 * Components name dependencies by key; the blueprint resolves them here, so an
 * update is one edit to this map, proven by the end-to-end suite that installs
 * and tests a generated project.
 */
export const versions = {
  '@modelcontextprotocol/sdk': '1.32.2',
  '@modelcontextprotocol/server': '2.4.0',
  '@modelcontextprotocol/client': '2.4.0',
  '@modelcontextprotocol/hono': '2.0.2',
  '@modelcontextprotocol/node': '2.1.2',
  hono: '4.13.19',
  '@hono/node-server': '2.1.9',
  zod: '4.6.7',
  jose: '6.2.18',
  pino: '10.4.0',
  'prom-client': '15.1.3',
  '@opentelemetry/api': '1.9.0',
  '@opentelemetry/sdk-trace-node': '2.12.0',
  '@opentelemetry/sdk-trace-base': '2.12.0',
  '@opentelemetry/resources': '2.12.1',
  '@opentelemetry/exporter-trace-otlp-http': '0.223.1',
  '@opentelemetry/semantic-conventions': '1.45.0',
  ioredis: '5.9.3',
  pg: '8.23.1',
  '@types/pg': '8.23.1',
  typescript: '5.9.3',
  vitest: '4.1.12',
  tsx: '4.23.15',
  '@types/node': '22.20.5',
  yaml: '2.9.1',
} as const;

export type PinnedPackage = keyof typeof versions;

/** Node versions a generated project supports (engines and CI matrix). */
export const generatedNode = {
  engines: '>=22.13',
  ci: ['22', '24'],
  docker: '24',
} as const;
