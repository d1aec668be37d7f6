import { setTimeout as sleep } from 'node:timers/promises';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolRunner } from './tool-runner.js';

/**
 * Example tools. Each declares a zod input schema (the SDK rejects invalid arguments with
 * a tool error before the handler runs) and annotations that tell clients how risky it is.
 */
export function registerExampleTools(server: McpServer, run: ToolRunner): void {
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the given text unchanged.',
      inputSchema: { text: z.string().min(1).max(10_000).describe('Text to return') },
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ text }, extra) => run('echo', extra, async () => ({ content: [{ type: 'text', text }] })),
  );

  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two finite numbers.',
      inputSchema: {
        a: z.number().describe('First addend'),
        b: z.number().describe('Second addend'),
      },
      outputSchema: { sum: z.number() },
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ a, b }, extra) =>
      run('add', extra, async () => {
        const sum = a + b;
        return { content: [{ type: 'text', text: String(sum) }], structuredContent: { sum } };
      }),
  );

  server.registerTool(
    'slow_count',
    {
      title: 'Slow count',
      description:
        'Counts to `steps`, waiting `intervalMs` between steps and reporting progress after each one. ' +
        'Stands in for long-running work: it honours cancellation and the call timeout.',
      inputSchema: {
        steps: z.number().int().min(1).max(100).default(5).describe('How many steps to count'),
        intervalMs: z.number().int().min(1).max(60_000).default(200).describe('Pause before each step, in milliseconds'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ steps, intervalMs }, extra) =>
      run('slow_count', extra, async (signal) => {
        const progressToken = extra._meta?.progressToken;
        for (let step = 1; step <= steps; step += 1) {
          await sleep(intervalMs, undefined, { signal });
          if (progressToken !== undefined) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: step, total: steps, message: `step ${step} of ${steps}` },
            });
          }
        }
        return { content: [{ type: 'text', text: `Counted to ${steps}` }] };
      }),
  );
}
