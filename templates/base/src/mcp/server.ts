import { McpServer, type McpRequestContext, type ServerEventBus } from '@modelcontextprotocol/server';
import type { PackageInfo } from '../package-info.js';
import { registerExamples, type ExampleNote } from './tools.js';
import type { ToolRunner } from './tool-runner.js';

export interface McpServerOptions {
  info: PackageInfo;
  runTool: ToolRunner;
  /** The note the example resource shows and `set_note` changes; one per layer, shared by its servers. */
  note: ExampleNote;
  /** Where `set_note` publishes that the note changed, for open `subscriptions/listen` streams. */
  bus?: ServerEventBus;
  /**
   * Whether a 2025 request of this server can receive server-to-client requests (the sessionful
   * 2025 leg); a stateless 2025 request cannot, so `ask_name` answers it with a tool error.
   */
  legacyRequests?: boolean;
}

/**
 * What the list results of the 2026-07-28 revision carry (`ttlMs`, `cacheScope`): the lists and
 * the discover result are the same for every caller, so clients and shared caches may keep them
 * for a minute. Reads of the note stay private and uncached (`set_note` changes it).
 */
const CACHE_HINTS = {
  'server/discover': { ttlMs: 60_000, cacheScope: 'public' },
  'tools/list': { ttlMs: 60_000, cacheScope: 'public' },
  'prompts/list': { ttlMs: 60_000, cacheScope: 'public' },
  'resources/list': { ttlMs: 60_000, cacheScope: 'public' },
  'resources/templates/list': { ttlMs: 60_000, cacheScope: 'public' },
} as const;

/**
 * A fresh McpServer with the example tools, resource and prompt; cheap enough to build per
 * request. The same definition serves both protocol eras (`ctx.era`).
 */
export function createMcpServer({ info, runTool, note, bus, legacyRequests = false }: McpServerOptions, ctx?: McpRequestContext): McpServer {
  const server = new McpServer(
    { name: info.name, version: info.version },
    {
      capabilities: {
        // Tools report to the client at the level each request (2026) or session (2025) asked for.
        logging: {},
        // Lets 2026 clients name the note on a `subscriptions/listen` stream; 2025 per-resource
        // subscriptions would need a session to deliver on, so that era is not offered them.
        ...(ctx?.era === 'legacy' ? {} : { resources: { subscribe: true } }),
      },
      cacheHints: CACHE_HINTS,
      instructions:
        'Example MCP server: echo, add, slow_count (long-running, reports progress), ask_name (asks the user for input) ' +
        'and set_note (changes the note resource).',
    },
  );
  registerExamples(server, { runTool, note, bus, canAskLegacyClient: ctx?.era !== 'legacy' || legacyRequests });
  return server;
}
