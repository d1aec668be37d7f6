import { setTimeout as sleep } from 'node:timers/promises';
import { acceptedContent, inputRequired, inputResponse, type McpServer, type ServerEventBus } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ToolRunner } from './tool-runner.js';

/** The text behind the example resource; `set_note` changes it. */
export interface ExampleNote {
  text: string;
}

export const NOTE_URI = 'note://example';

export interface ExampleOptions {
  runTool: ToolRunner;
  note: ExampleNote;
  bus?: ServerEventBus;
  /** False on a 2025 request that cannot receive server-to-client requests (no session). */
  canAskLegacyClient: boolean;
}

const READ_ONLY = { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false } as const;

/** The answer `ask_name` asks for; the same schema describes the form and validates the answer. */
const nameForm = z.object({ name: z.string().min(1).max(100).meta({ title: 'Your name' }) });

/**
 * Example tools, a resource and a prompt. Each tool declares a zod input schema (the SDK
 * rejects invalid arguments with a tool error before the handler runs) and annotations that
 * tell clients how risky it is.
 */
export function registerExamples(server: McpServer, { runTool: run, note, bus, canAskLegacyClient }: ExampleOptions): void {
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the given text unchanged.',
      inputSchema: z.object({ text: z.string().min(1).max(10_000).describe('Text to return') }),
      annotations: READ_ONLY,
    },
    ({ text }, ctx) => run('echo', ctx, async () => ({ content: [{ type: 'text', text }] })),
  );

  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two finite numbers.',
      inputSchema: z.object({ a: z.number().describe('First addend'), b: z.number().describe('Second addend') }),
      outputSchema: z.object({ sum: z.number() }),
      annotations: READ_ONLY,
    },
    ({ a, b }, ctx) =>
      run('add', ctx, async () => {
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
      inputSchema: z.object({
        steps: z.number().int().min(1).max(100).default(5).describe('How many steps to count'),
        intervalMs: z.number().int().min(1).max(60_000).default(200).describe('Pause before each step, in milliseconds'),
      }),
      annotations: READ_ONLY,
    },
    ({ steps, intervalMs }, ctx) =>
      run('slow_count', ctx, async (signal) => {
        // Progress and log messages travel on this request's own response stream.
        const progressToken = ctx.mcpReq._meta?.progressToken;
        for (let step = 1; step <= steps; step += 1) {
          await sleep(intervalMs, undefined, { signal });
          await ctx.mcpReq.log('debug', `step ${step} of ${steps}`, 'slow_count');
          if (progressToken !== undefined) {
            await ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: { progressToken, progress: step, total: steps, message: `step ${step} of ${steps}` },
            });
          }
        }
        return { content: [{ type: 'text', text: `Counted to ${steps}` }] };
      }),
  );

  server.registerTool(
    'ask_name',
    {
      title: 'Ask name',
      description:
        "Asks the user for their name and greets them. The client shows the question (elicitation); 2026-07-28 clients answer it and retry the call, 2025 clients answer it on their session.",
      inputSchema: z.object({ greeting: z.string().min(1).max(100).default('Hello').describe('Word to greet with') }),
      annotations: { readOnlyHint: true, idempotentHint: false, destructiveHint: false, openWorldHint: false },
    },
    ({ greeting }, ctx) =>
      run('ask_name', ctx, async () => {
        // The answer comes from the client: validated against the same schema before it is used.
        const answer = inputResponse(ctx.mcpReq.inputResponses, 'name');
        if (answer.kind === 'elicit' && answer.action !== 'accept') {
          return { content: [{ type: 'text', text: `No name given (${answer.action})` }], isError: true };
        }
        const given = acceptedContent(ctx.mcpReq.inputResponses, 'name', nameForm);
        if (given) return { content: [{ type: 'text', text: `${greeting}, ${given.name}!` }] };
        if (!canAskLegacyClient) {
          return {
            content: [
              {
                type: 'text',
                text: 'ask_name needs a 2026-07-28 client, or a 2025 client on a server run with SESSION_MODE=stateful',
              },
            ],
            isError: true,
          };
        }
        // 2026-07-28: the client answers and retries; 2025 (sessionful): the SDK asks over the session.
        return inputRequired({ inputRequests: { name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: nameForm }) } });
      }),
  );

  server.registerTool(
    'set_note',
    {
      title: 'Set note',
      description: `Replaces the text of the ${NOTE_URI} resource; clients listening for changes of it are told.`,
      inputSchema: z.object({ text: z.string().min(1).max(10_000).describe('New text of the note') }),
      annotations: { readOnlyHint: false, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ text }, ctx) =>
      run('set_note', ctx, async () => {
        note.text = text;
        bus?.publish({ kind: 'resource_updated', uri: NOTE_URI });
        return { content: [{ type: 'text', text: 'Note updated' }] };
      }),
  );

  server.registerResource(
    'note',
    NOTE_URI,
    { title: 'Note', description: 'A short text note (set_note changes it).', mimeType: 'text/plain', cacheHint: { ttlMs: 0, cacheScope: 'private' } },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: note.text }] }),
  );

  server.registerPrompt(
    'summarize_note',
    {
      title: 'Summarize note',
      description: 'Asks the model to summarize the note in the given number of words.',
      argsSchema: z.object({ words: z.string().regex(/^\d{1,3}$/).default('20').describe('Length of the summary in words') }),
    },
    ({ words }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Summarize this note in at most ${words} words:\n\n${note.text}` } }],
    }),
  );
}
