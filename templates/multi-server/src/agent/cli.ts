import { parseArgs } from 'node:util';
import { ProtocolError, type Tool } from '@modelcontextprotocol/client';
import { AggregateErrorCode, openAggregator, ServersConfigError, type Aggregator, type BackendStatus, type ServersConfig } from '../aggregate/index.js';
import { createLogger } from '../observability/logger.js';
import { readPackageInfo } from '../package-info.js';
import { resultText, stateLabel, table } from './format.js';
import { loadAgentServers, serverOf } from './servers.js';

/** 0 done; 1 the work failed (a tool error, a server down); 2 the command line or the servers file is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface AgentIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export const USAGE = `Usage: agent <command> [options]

Commands:
  list                          tools of every server, namespaced <server>__<tool>, with the server's state
  call <server__tool> [json]    call one tool with JSON arguments (default {}) and print its result
  status                        each server's transport, state and last error (exit 1 when one is not ready)
  resources                     resources and resource templates of every server
  read <uri>                    read one resource
  prompts                       prompts of every server

Options:
  --config <file>   servers file in the mcpServers format (default: mcp-servers.json)
  --json            machine-readable output
  --verbose         log connection details to stderr
  --help            this text`;

class UsageError extends Error {}

/** Runs one agent command; never exits the process, so tests can run it in process. */
export async function runAgent(argv: string[], io: AgentIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', default: 'mcp-servers.json' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }

  let aggregator: Aggregator | undefined;
  try {
    const plan = checkCommand(command, rest);
    const servers = await loadAgentServers(values.config, io.env);
    const info = readPackageInfo();
    aggregator = await openAggregator({
      servers,
      clientInfo: { name: `${info.name}-agent`, version: info.version },
      logger: values.verbose ? createLogger('debug', process.stderr) : undefined,
      // A one-shot command: a dead server is reported, not reconnected for minutes, and no change is followed.
      reconnectMaxDelayMs: 1000,
      followChanges: false,
    });
    return await dispatch(plan, { aggregator, servers, io, json: values.json });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ServersConfigError) {
      io.stderr(`error: invalid servers file: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  } finally {
    // Ends every session and stops the stdio servers this command started.
    await aggregator?.close();
  }
}

type Plan =
  | { command: 'list' | 'status' | 'resources' | 'prompts' }
  | { command: 'call'; tool: string; args: Record<string, unknown> }
  | { command: 'read'; uri: string };

/** Validates the command line before anything is started. */
function checkCommand(command: string | undefined, rest: string[]): Plan {
  const noMore = (name: string) => {
    if (rest.length > 0) throw new UsageError(`${name} takes no arguments, got: ${rest.join(' ')}`);
  };
  switch (command) {
    case undefined:
      throw new UsageError(`no command given\n\n${USAGE}`);
    case 'list':
    case 'status':
    case 'resources':
    case 'prompts':
      noMore(command);
      return { command };
    case 'call': {
      const [tool, json = '{}', ...extra] = rest;
      if (!tool) throw new UsageError(`call needs a tool name, e.g. agent call text__word_count '{"text":"hello world"}' (agent list shows the names)`);
      if (extra.length > 0) throw new UsageError(`call takes a tool name and one JSON object; quote the JSON as one argument, got extra: ${extra.join(' ')}`);
      let args: unknown;
      try {
        args = JSON.parse(json);
      } catch (error) {
        throw new UsageError(`arguments for ${tool} are not valid JSON (${(error as Error).message}); pass one JSON object, e.g. '{"text":"hello"}'`);
      }
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        throw new UsageError(`arguments for ${tool} must be a JSON object, got ${Array.isArray(args) ? 'an array' : JSON.stringify(args)}; e.g. '{"text":"hello"}'`);
      }
      return { command: 'call', tool, args: args as Record<string, unknown> };
    }
    case 'read': {
      const [uri, ...extra] = rest;
      if (!uri || extra.length > 0) throw new UsageError('read needs exactly one resource URI, e.g. agent read note://<id> (agent resources lists them)');
      return { command: 'read', uri };
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

interface Context {
  aggregator: Aggregator;
  servers: ServersConfig;
  io: AgentIo;
  json: boolean;
}

function dispatch(plan: Plan, context: Context): Promise<number> {
  switch (plan.command) {
    case 'list':
      return list(context);
    case 'call':
      return call(context, plan.tool, plan.args);
    case 'status':
      return status(context);
    case 'resources':
      return resources(context);
    case 'read':
      return read(context, plan.uri);
    case 'prompts':
      return prompts(context);
  }
}

function statusOf(context: Context, name: string): BackendStatus | undefined {
  return context.aggregator.status().find((status) => status.name === name);
}

function reportCollisions({ aggregator, io }: Context): void {
  for (const collision of aggregator.collisions) io.stderr(`warning: ${collision.message}\n`);
}

function reportDown({ aggregator, io }: Context): void {
  for (const status of aggregator.status()) {
    if (status.state === 'ready' || status.state === 'disabled') continue;
    io.stderr(`warning: server ${status.name} is ${stateLabel(status)}${status.lastError ? `: ${status.lastError}` : ''}; its tools are not listed\n`);
  }
}

async function list(context: Context): Promise<number> {
  const { aggregator, servers, io } = context;
  const tools = await aggregator.listTools();
  const byServer = new Map<string, Tool[]>();
  for (const tool of tools) {
    const server = serverOf(tool.name, servers.servers)?.name ?? '?';
    byServer.set(server, [...(byServer.get(server) ?? []), tool]);
  }
  const statuses = aggregator.status();
  if (context.json) {
    io.stdout(
      `${JSON.stringify(
        {
          servers: statuses.map((status) => ({ ...status, tools: (byServer.get(status.name) ?? []).map((tool) => tool.name) })),
          tools: tools.map((tool) => ({ name: tool.name, server: serverOf(tool.name, servers.servers)?.name, title: tool.title, description: tool.description, annotations: tool.annotations, inputSchema: tool.inputSchema })),
          collisions: aggregator.collisions,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const rows: string[][] = [['TOOL', 'SERVER', 'STATE', 'DESCRIPTION']];
    for (const status of statuses) {
      const own = byServer.get(status.name) ?? [];
      if (own.length === 0) rows.push(['-', status.name, stateLabel(status), status.lastError ?? (status.state === 'disabled' ? '"enabled": false' : 'no tools')]);
      for (const tool of own) rows.push([tool.name, status.name, stateLabel(status), firstLine(tool.description ?? tool.title ?? '')]);
    }
    io.stdout(`${table(rows)}\n`);
  }
  reportCollisions(context);
  reportDown(context);
  return statuses.some((status) => status.state === 'ready') ? EXIT.ok : EXIT.failed;
}

async function call(context: Context, name: string, args: Record<string, unknown>): Promise<number> {
  const { aggregator, servers, io } = context;
  const server = serverOf(name, servers.servers);
  if (!server) {
    const prefixes = servers.servers.filter((s) => s.enabled).map((s) => `${s.prefix}__`);
    throw new UsageError(`unknown tool "${name}": tool names start with a server prefix (${prefixes.join(', ')}); agent list shows them all`);
  }
  const status = statusOf(context, server.name);
  if (status?.state === 'disabled') throw new UsageError(`server ${server.name} is disabled ("enabled": false in ${servers.source}); enable it to call ${name}`);
  if (status && status.state !== 'ready') {
    io.stderr(`error: server ${server.name} is ${stateLabel(status)}${status.lastError ? ` (${status.lastError})` : ''}; ${name} cannot be called. Start the server or check ${servers.source}\n`);
    return EXIT.failed;
  }
  const tools = await aggregator.listTools();
  if (!tools.some((tool) => tool.name === name)) {
    const near = tools.filter((tool) => serverOf(tool.name, servers.servers) === server).map((tool) => tool.name);
    throw new UsageError(`unknown tool "${name}": server ${server.name} has ${near.length > 0 ? near.join(', ') : 'no tools'}`);
  }
  let result;
  try {
    result = await aggregator.callTool(name, args);
  } catch (error) {
    if (error instanceof ProtocolError && error.code === AggregateErrorCode.BackendUnavailable) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
  if (context.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else (result.isError ? io.stderr : io.stdout)(`${resultText(result)}\n`);
  return result.isError ? EXIT.failed : EXIT.ok;
}

async function status(context: Context): Promise<number> {
  const { aggregator, servers, io } = context;
  // Tool counts need a listing; it also surfaces collisions.
  const tools = await aggregator.listTools();
  const statuses = aggregator.status();
  const count = (name: string) => tools.filter((tool) => serverOf(tool.name, servers.servers)?.name === name).length;
  if (context.json) {
    io.stdout(`${JSON.stringify({ servers: statuses.map((s) => ({ ...s, tools: count(s.name) })), collisions: aggregator.collisions, capabilities: aggregator.capabilities() }, null, 2)}\n`);
  } else {
    const rows = [['SERVER', 'TRANSPORT', 'STATE', 'TOOLS', 'LAST ERROR']];
    for (const s of statuses) rows.push([s.name, s.transport, stateLabel(s), s.state === 'ready' ? String(count(s.name)) : '-', s.lastError ?? '']);
    io.stdout(`${table(rows)}\n`);
  }
  reportCollisions(context);
  return statuses.every((s) => s.state === 'ready' || s.state === 'disabled') ? EXIT.ok : EXIT.failed;
}

async function resources(context: Context): Promise<number> {
  const { aggregator, io } = context;
  const [listed, templates] = await Promise.all([aggregator.listResources(), aggregator.listResourceTemplates()]);
  if (context.json) {
    io.stdout(`${JSON.stringify({ resources: listed, resourceTemplates: templates }, null, 2)}\n`);
  } else {
    const rows = [['URI', 'NAME', 'TYPE']];
    for (const resource of listed) rows.push([resource.uri, resource.name, resource.mimeType ?? '']);
    for (const template of templates) rows.push([template.uriTemplate, `${template.name} (template)`, template.mimeType ?? '']);
    io.stdout(`${table(rows)}\n`);
  }
  reportCollisions(context);
  reportDown(context);
  return EXIT.ok;
}

async function read(context: Context, uri: string): Promise<number> {
  const { aggregator, io } = context;
  const result = await aggregator.readResource(uri);
  if (context.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout(`${result.contents.map((content) => ('text' in content ? content.text : `[${content.mimeType ?? 'binary'} content]`)).join('\n')}\n`);
  return EXIT.ok;
}

async function prompts(context: Context): Promise<number> {
  const { aggregator, io } = context;
  const listed = await aggregator.listPrompts();
  if (context.json) {
    io.stdout(`${JSON.stringify({ prompts: listed }, null, 2)}\n`);
  } else {
    const rows = [['PROMPT', 'ARGUMENTS', 'DESCRIPTION']];
    for (const prompt of listed) rows.push([prompt.name, (prompt.arguments ?? []).map((a) => (a.required ? a.name : `[${a.name}]`)).join(' '), firstLine(prompt.description ?? '')]);
    io.stdout(`${table(rows)}\n`);
  }
  reportCollisions(context);
  reportDown(context);
  return EXIT.ok;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
