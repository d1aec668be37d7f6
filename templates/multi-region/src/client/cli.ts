import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AllRegionsDownError, describeError, RegionCallError } from './errors.js';
import { RegionClient } from './region-client.js';
import { loadRegions, RegionsConfigError } from './regions.js';

const USAGE = `Usage: npm run client -- <command> [options]

Commands:
  probe                        measure every region through /health, fastest first
  tools                        list the tools of the fastest healthy region
  call <tool> [json-args]      call a tool once
  watch <tool> [json-args]     call a tool repeatedly, one JSON line per call (Ctrl-C stops)

Options:
  --regions <file>             regions file (default: $REGIONS_FILE or regions.json)
  --interval <ms>              watch: pause between calls (default 1000)
  --count <n>                  watch: stop after n calls (default: until interrupted)

Every output line is JSON; client events (probes, failovers) are lines with an "event" field.`;

class UsageError extends Error {}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function parseJsonArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`tool arguments must be a JSON object, e.g. '{"text":"hi"}'; got ${text}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`tool arguments must be a JSON object; got ${text}`);
  return value as Record<string, unknown>;
}

function positiveInt(name: string, text: string | undefined, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a whole number above 0; got ${text}`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      regions: { type: 'string' },
      interval: { type: 'string' },
      count: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, tool, argsJson] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (!['probe', 'tools', 'call', 'watch'].includes(command)) throw new UsageError(`unknown command ${command}`);
  if ((command === 'call' || command === 'watch') && tool === undefined) throw new UsageError(`${command} needs a tool name`);
  const args = parseJsonArgs(argsJson);
  const interval = positiveInt('interval', values.interval, 1000)!;
  const count = positiveInt('count', values.count, undefined);

  const config = loadRegions(values.regions ?? process.env.REGIONS_FILE ?? 'regions.json');
  const client = RegionClient.fromConfig(config, {
    clientInfo: { name: 'region-client-cli', version: '1.0.0' },
    onEvent: (event) => print({ event: event.type, ...event, type: undefined }),
  });

  // A signal ends the watch loop (waking its pause); `finally` then closes the connection cleanly.
  const stopped = new AbortController();
  const stopWatching = () => stopped.abort();
  process.once('SIGINT', () => stopWatching());
  process.once('SIGTERM', () => stopWatching());
  try {
    if (command === 'probe') {
      await client.probe();
      print({ ranking: client.status().sort((a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity)) });
      return client.status().some((s) => s.healthy) ? 0 : 1;
    }
    if (command === 'tools') {
      print({ region: await client.connect(), tools: (await client.listTools()).map((t) => t.name) });
      return 0;
    }
    for (let n = 1; !stopped.signal.aborted && (count === undefined || n <= count); n += 1) {
      const started = performance.now();
      try {
        const result = await client.callTool(tool!, args);
        print({ call: n, ok: !result.isError, region: client.region, servedBy: client.servedBy, era: client.era, sessionId: client.sessionId, ms: Math.round(performance.now() - started), content: result.content });
        if (command === 'call') return result.isError ? 1 : 0;
      } catch (error) {
        print({ call: n, ok: false, error: describeError(error), ms: Math.round(performance.now() - started) });
        if (command === 'call' || error instanceof AllRegionsDownError) return 1;
      }
      await sleep(interval, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
    return 0;
  } finally {
    await client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof RegionsConfigError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof AllRegionsDownError || error instanceof RegionCallError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
