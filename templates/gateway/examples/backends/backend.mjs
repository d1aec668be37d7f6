// An example MCP backend for trying the gateway, and the backend its tests run against.
// It exercises what a gateway must forward: pagination, progress, logging, sampling, elicitation,
// roots, list_changed, resources with subscriptions, prompts, completions, errors, slow and hanging calls.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const PAGE_SIZE = 5;
const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const object = (properties = {}, required = Object.keys(properties)) => ({ type: 'object', properties, required });
const text = (value) => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] });

/** State shared by every session of this process: what the tests look at. */
const state = { cancelled: 0, extraTools: [], toolListings: 0, clientCancellations: 0 };

const page = (items, cursor) => {
  const start = cursor === undefined ? 0 : Number.parseInt(cursor, 10);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw new McpError(ErrorCode.InvalidParams, `Invalid cursor: ${cursor}`);
  const end = start + PAGE_SIZE;
  return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : undefined };
};

/** A fresh server for one session; `name` tells backends apart, `requestInfo` gives the HTTP headers. */
export function createBackend(name) {
  const server = new Server(
    { name: `example-backend-${name}`, version: '1.0.0' },
    {
      capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {}, completions: {} },
      instructions: `Example backend ${name}.`,
    },
  );
  let level = 'info';
  const subscriptions = new Set();
  const log = (lvl, data) => {
    if (LEVELS.indexOf(lvl) >= LEVELS.indexOf(level)) return server.notification({ method: 'notifications/message', params: { level: lvl, logger: name, data } });
  };

  const tools = {
    echo: { description: 'Echoes the text', inputSchema: object({ text: { type: 'string' } }), run: ({ text: value }) => {
      if (typeof value !== 'string') throw new McpError(ErrorCode.InvalidParams, 'text must be a string');
      return text(value);
    } },
    whoami: { description: 'Names the backend and its process', inputSchema: object(), run: (_args, extra) => text({ backend: name, pid: process.pid, authorization: extra.requestInfo?.headers?.authorization ?? null }) },
    client_capabilities: { description: 'The capabilities the client declared to this backend', inputSchema: object(), run: () => text(server.getClientCapabilities() ?? {}) },
    add: { description: 'Adds two numbers', inputSchema: object({ a: { type: 'number' }, b: { type: 'number' } }), run: ({ a, b }) => text(String(a + b)) },
    slow: {
      description: 'Reports progress and logs each step, then answers',
      inputSchema: object({ steps: { type: 'number' }, ms: { type: 'number' } }),
      run: async ({ steps = 3, ms = 20 }, extra) => {
        for (let i = 1; i <= steps; i++) {
          await new Promise((resolve) => setTimeout(resolve, ms));
          const token = extra._meta?.progressToken;
          if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps, message: `step ${i}` } });
          await log('info', `step ${i} of ${steps}`);
        }
        return text(`done after ${steps} steps`);
      },
    },
    hang: {
      description: 'Never answers; ends only when cancelled',
      inputSchema: object(),
      run: (_args, extra) => new Promise((_resolve, reject) => extra.signal.addEventListener('abort', () => { state.cancelled++; reject(new Error('cancelled')); }, { once: true })),
    },
    cancelled_count: { description: 'How many hanging calls were cancelled', inputSchema: object(), run: () => text(String(state.cancelled)) },
    listings: { description: 'How many times tools/list was served (all sessions)', inputSchema: object(), run: () => text(String(state.toolListings)) },
    impatient_sample: {
      description: 'Asks the client\'s model but gives up after 200 ms (the request is cancelled)',
      inputSchema: object(),
      run: async (_args, extra) => {
        const outcome = await extra.sendRequest({ method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'slow' } }], maxTokens: 5 } }, CreateMessageResultSchema, { timeout: 200 }).then(() => 'answered', (error) => error.message);
        return text(outcome);
      },
    },
    sample: {
      description: 'Asks the client\'s model (sampling) and returns its answer',
      inputSchema: object({ prompt: { type: 'string' } }),
      run: async ({ prompt }, extra) => {
        const result = await extra.sendRequest({ method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 } }, CreateMessageResultSchema);
        return text(result.content.type === 'text' ? result.content.text : '');
      },
    },
    ask: {
      description: 'Asks the user (elicitation) and returns the answer',
      inputSchema: object({ message: { type: 'string' } }),
      run: async ({ message }, extra) => {
        const result = await extra.sendRequest({ method: 'elicitation/create', params: { mode: 'form', message, requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } } }, ElicitResultSchema);
        return text({ action: result.action, content: result.content ?? null });
      },
    },
    roots: {
      description: 'Lists the client\'s roots',
      inputSchema: object(),
      run: async (_args, extra) => text((await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema)).roots.map((root) => root.uri)),
    },
    add_tool: {
      description: 'Adds a tool and announces the change (list_changed)',
      inputSchema: object({ name: { type: 'string' } }),
      run: async ({ name: toolName }) => {
        state.extraTools.push(toolName);
        await server.sendToolListChanged();
        return text(`added ${toolName}`);
      },
    },
    touch: {
      description: 'Announces that a resource changed to its subscribers',
      inputSchema: object({ uri: { type: 'string' } }),
      run: async ({ uri }) => {
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

  server.setRequestHandler(ListToolsRequestSchema, (request) => {
    if (request.params?.cursor === undefined) state.toolListings++;
    const { items, nextCursor } = page(toolList(), request.params?.cursor);
    return { tools: items, ...(nextCursor ? { nextCursor } : {}) };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools[request.params.name];
    if (!tool) {
      if (state.extraTools.includes(request.params.name)) return text(`${request.params.name} ran`);
      throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
    }
    return tool.run(request.params.arguments ?? {}, extra);
  });

  const resources = [{ uri: `mem://${name}/readme`, name: 'readme', mimeType: 'text/plain' }];
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [{ uriTemplate: `mem://${name}/notes/{id}`, name: 'note' }] }));
  server.setRequestHandler(ReadResourceRequestSchema, ({ params: { uri } }) => {
    if (uri === `mem://${name}/readme`) return { contents: [{ uri, mimeType: 'text/plain', text: `readme of ${name}` }] };
    const note = new RegExp(`^mem://${name}/notes/([^/]+)$`).exec(uri);
    if (note) return { contents: [{ uri, mimeType: 'text/plain', text: `note ${note[1]} of ${name}` }] };
    throw new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
  });
  server.setRequestHandler(SubscribeRequestSchema, ({ params: { uri } }) => (subscriptions.add(uri), {}));
  server.setRequestHandler(UnsubscribeRequestSchema, ({ params: { uri } }) => (subscriptions.delete(uri), {}));

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [{ name: 'greet', description: 'Greets someone', arguments: [{ name: 'who', required: true }] }] }));
  server.setRequestHandler(GetPromptRequestSchema, ({ params }) => {
    if (params.name !== 'greet') throw new McpError(ErrorCode.InvalidParams, `Prompt ${params.name} not found`);
    return { messages: [{ role: 'user', content: { type: 'text', text: `Hello ${params.arguments?.who ?? 'nobody'} from ${name}` } }] };
  });
  server.setRequestHandler(CompleteRequestSchema, ({ params }) => {
    const options = params.ref.type === 'ref/prompt' ? ['alice', 'albert', 'bob'] : ['1', '2', '10'];
    const values = options.filter((option) => option.startsWith(params.argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });
  server.setRequestHandler(SetLevelRequestSchema, ({ params }) => ((level = params.level), {}));
  return server;
}
