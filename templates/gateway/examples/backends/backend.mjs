// An example MCP backend for trying the gateway, and the backend its tests run against.
// It exercises what a gateway must forward: pagination, progress, logging, sampling, elicitation,
// roots, list_changed, resources with subscriptions, prompts, completions, errors, slow and hanging calls.
// Each tool that needs the client (sampling, elicitation, roots) answers `input_required`: a
// 2026-07-28 client comes back with the answer, a 2025 session is asked by the SDK on its behalf.
import { CLIENT_CAPABILITIES_META_KEY, inputRequired, inputResponse, LOG_LEVEL_META_KEY, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';

const PAGE_SIZE = 5;
const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const object = (properties = {}, required = Object.keys(properties)) => ({ type: 'object', properties, required });
const text = (value) => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] });

/** State shared by every session of this process: what the tests look at. */
const state = { cancelled: 0, extraTools: [], toolListings: 0 };

const page = (items, cursor) => {
  const start = cursor === undefined ? 0 : Number.parseInt(cursor, 10);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor: ${cursor}`);
  const end = start + PAGE_SIZE;
  return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : undefined };
};

/** A 2026-07-28 request carries its envelope (version, capabilities, log level); a 2025 one belongs to a session. */
const envelope = (ctx) => ctx.mcpReq.envelope;

/**
 * Asks the client once per round: the answer when the request came back with it, else the
 * `input_required` result to return. The SDK turns that result into a request of the server's own
 * for a 2025 session, so the same code serves both eras.
 */
function askClient(ctx, key, embedded) {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind === 'missing') return { pending: inputRequired({ inputRequests: { [key]: embedded } }) };
  if (view.kind === 'elicit') return { answer: { action: view.action, content: view.content } };
  if (view.kind === 'sampling') return { answer: view.result };
  return { answer: { roots: view.roots } };
}

/**
 * A fresh server for one session or one request; `name` tells backends apart. `changed` (the
 * HTTP handler's notifier) tells 2026-07-28 listeners of other requests about a tool added at run
 * time or a touched resource; over stdio the server's own notifications reach them.
 */
export function createBackend(name, { changed } = {}) {
  const server = new Server(
    { name: `example-backend-${name}`, version: '1.0.0' },
    {
      capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {}, completions: {} },
      instructions: `Example backend ${name}.`,
    },
  );
  let level = 'info';
  const subscriptions = new Set();
  // A 2026-07-28 request sets its level in `_meta` and gets its log lines on its own stream.
  const log = (ctx, lvl, data) => {
    const threshold = envelope(ctx)?.[LOG_LEVEL_META_KEY] ?? level;
    if (LEVELS.indexOf(lvl) >= LEVELS.indexOf(threshold)) return ctx.mcpReq.notify({ method: 'notifications/message', params: { level: lvl, logger: name, data } });
  };

  const tools = {
    echo: { description: 'Echoes the text', inputSchema: object({ text: { type: 'string' } }), run: ({ text: value }) => {
      // Bad arguments are a tool error the model can read and correct, not a protocol error.
      if (typeof value !== 'string') return { isError: true, content: [{ type: 'text', text: 'text must be a string' }] };
      return text(value);
    } },
    whoami: { description: 'Names the backend and its process', inputSchema: object(), run: (_args, ctx) => text({ backend: name, pid: process.pid, authorization: ctx.http?.req?.headers.get('authorization') ?? null }) },
    client_capabilities: {
      description: 'The capabilities the client declared to this backend',
      inputSchema: object(),
      run: (_args, ctx) => text((envelope(ctx) ? envelope(ctx)[CLIENT_CAPABILITIES_META_KEY] : server.getClientCapabilities()) ?? {}),
    },
    add: { description: 'Adds two numbers', inputSchema: object({ a: { type: 'number' }, b: { type: 'number' } }), run: ({ a, b }) => text(String(a + b)) },
    slow: {
      description: 'Reports progress and logs each step, then answers',
      inputSchema: object({ steps: { type: 'number' }, ms: { type: 'number' } }),
      run: async ({ steps = 3, ms = 20 }, ctx) => {
        for (let i = 1; i <= steps; i++) {
          await new Promise((resolve) => setTimeout(resolve, ms));
          const token = ctx.mcpReq._meta?.progressToken;
          if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps, message: `step ${i}` } });
          await log(ctx, 'info', `step ${i} of ${steps}`);
        }
        return text(`done after ${steps} steps`);
      },
    },
    hang: {
      description: 'Never answers; ends only when cancelled',
      inputSchema: object(),
      run: (_args, ctx) => new Promise((_resolve, reject) => ctx.mcpReq.signal.addEventListener('abort', () => { state.cancelled++; reject(new Error('cancelled')); }, { once: true })),
    },
    cancelled_count: { description: 'How many hanging calls were cancelled', inputSchema: object(), run: () => text(String(state.cancelled)) },
    listings: { description: 'How many times tools/list was served (all sessions)', inputSchema: object(), run: () => text(String(state.toolListings)) },
    sample: {
      description: 'Asks the client\'s model (sampling) and returns its answer',
      inputSchema: object({ prompt: { type: 'string' } }),
      run: async ({ prompt }, ctx) => {
        const params = { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 };
        const { answer, pending } = askClient(ctx, 'sample', inputRequired.createMessage(params));
        return pending ?? text(answer.content?.type === 'text' ? answer.content.text : '');
      },
    },
    ask: {
      description: 'Asks the user (elicitation) and returns the answer',
      inputSchema: object({ message: { type: 'string' } }),
      run: async ({ message }, ctx) => {
        const params = { message, requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } };
        const { answer, pending } = askClient(ctx, 'ask', inputRequired.elicit(params));
        return pending ?? text({ action: answer.action, content: answer.content ?? null });
      },
    },
    roots: {
      description: 'Lists the client\'s roots',
      inputSchema: object(),
      run: async (_args, ctx) => {
        const { answer, pending } = askClient(ctx, 'roots', inputRequired.listRoots());
        return pending ?? text(answer.roots.map((root) => root.uri));
      },
    },
    add_tool: {
      description: 'Adds a tool and announces the change (list_changed)',
      inputSchema: object({ name: { type: 'string' } }),
      run: async ({ name: toolName }) => {
        state.extraTools.push(toolName);
        await server.sendToolListChanged().catch(() => {});
        changed?.toolsChanged();
        return text(`added ${toolName}`);
      },
    },
    touch: {
      description: 'Announces that a resource changed to its subscribers',
      inputSchema: object({ uri: { type: 'string' } }),
      run: async ({ uri }, ctx) => {
        // A 2026-07-28 client subscribes on its subscriptions/listen stream, which the SDK holds.
        if (envelope(ctx)) {
          await server.sendResourceUpdated({ uri }).catch(() => {});
          changed?.resourceUpdated(uri);
          return text('notified');
        }
        if (subscriptions.has(uri)) await server.sendResourceUpdated({ uri });
        return text(subscriptions.has(uri) ? 'notified' : 'not subscribed');
      },
    },
    fail: { description: 'Answers with a tool error', inputSchema: object(), run: () => ({ isError: true, content: [{ type: 'text', text: `tool failed on ${name}` }] }) },
    crash: { description: 'Exits the process (a backend dying mid-run)', inputSchema: object(), run: () => setTimeout(() => process.exit(1), 5) && text('bye') },
  };
  for (let i = 1; i <= 4; i++) tools[`filler_${i}`] = { description: `Filler tool ${i} (so listings span pages)`, inputSchema: object(), run: () => text(`filler ${i}`) };

  const toolList = () => [
    ...Object.entries(tools).map(([toolName, tool]) => ({ name: toolName, description: tool.description, inputSchema: tool.inputSchema })),
    ...state.extraTools.map((toolName) => ({ name: toolName, description: 'Added at run time', inputSchema: object() })),
  ];

  server.setRequestHandler('tools/list', (request, ctx) => {
    if (request.params?.cursor === undefined) state.toolListings++;
    const { items, nextCursor } = page(toolList(), request.params?.cursor);
    // A 2026-07-28 list says how long it may be reused, and by whom.
    return { tools: items, ...(nextCursor ? { nextCursor } : {}), ...(envelope(ctx) ? { ttlMs: 30_000, cacheScope: 'public' } : {}) };
  });
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const tool = tools[request.params.name];
    if (!tool) {
      if (state.extraTools.includes(request.params.name)) return text(`${request.params.name} ran`);
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
    }
    return tool.run(request.params.arguments ?? {}, ctx);
  });

  const resources = [{ uri: `mem://${name}/readme`, name: 'readme', mimeType: 'text/plain' }];
  server.setRequestHandler('resources/list', () => ({ resources }));
  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: [{ uriTemplate: `mem://${name}/notes/{id}`, name: 'note' }] }));
  server.setRequestHandler('resources/read', ({ params: { uri } }) => {
    if (uri === `mem://${name}/readme`) return { contents: [{ uri, mimeType: 'text/plain', text: `readme of ${name}` }] };
    const note = new RegExp(`^mem://${name}/notes/([^/]+)$`).exec(uri);
    if (note) return { contents: [{ uri, mimeType: 'text/plain', text: `note ${note[1]} of ${name}` }] };
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource ${uri} not found`);
  });
  server.setRequestHandler('resources/subscribe', ({ params: { uri } }) => (subscriptions.add(uri), {}));
  server.setRequestHandler('resources/unsubscribe', ({ params: { uri } }) => (subscriptions.delete(uri), {}));

  server.setRequestHandler('prompts/list', () => ({ prompts: [{ name: 'greet', description: 'Greets someone', arguments: [{ name: 'who', required: true }] }] }));
  server.setRequestHandler('prompts/get', ({ params }) => {
    if (params.name !== 'greet') throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${params.name} not found`);
    return { messages: [{ role: 'user', content: { type: 'text', text: `Hello ${params.arguments?.who ?? 'nobody'} from ${name}` } }] };
  });
  server.setRequestHandler('completion/complete', ({ params }) => {
    const options = params.ref.type === 'ref/prompt' ? ['alice', 'albert', 'bob'] : ['1', '2', '10'];
    const values = options.filter((option) => option.startsWith(params.argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });
  server.setRequestHandler('logging/setLevel', ({ params }) => ((level = params.level), {}));
  return server;
}
