import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ServerEvent } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../src/observability/logger.js';
import type { ClosableServerEventBus } from '../src/state/shared-state.js';
import { waitFor } from './helpers.js';
import { closedPort, tcpProxy } from './tcp-proxy.js';

/**
 * One contract, every event bus: each broker's suite (test/events.<broker>.test.ts) runs it
 * against the real service. Every test uses channels of its own. Ordering stands in for waiting:
 * both brokers deliver what one channel carries in the order they took it, so a message that
 * arrived proves that everything taken before it arrived too (or was dropped).
 */
export interface BusBroker {
  /** The URL of the service, as the server is configured with it. */
  url: string;
  /** The broker's port when the URL names none. */
  defaultPort: number;
  /** The module that opens the bus, from the project's root, and its opening function: `open` below. */
  module: string;
  openExport: string;
  /** A channel no other test uses. */
  channel(): string;
  open(options: { url: string; channel: string; logger: Logger }): Promise<ClosableServerEventBus>;
  /** Writes a raw message on a channel, as another program might. */
  inject(channel: string, message: string): Promise<void>;
}

/** A logger whose lines the test reads. */
export function capturedLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** Every event a bus delivers to a listener of its own, in order. */
export function listen(bus: ClosableServerEventBus): ServerEvent[] {
  const events: ServerEvent[] = [];
  bus.subscribe((event) => events.push(event));
  return events;
}

const ROOT = new URL('../', import.meta.url);

/**
 * Opens a bus to the broker and one to a port nothing listens on, publishes on both, closes
 * both, and prints what was open before closing. It ends nothing else: the process exits only if
 * nothing is left open.
 */
const CLOSING_SCRIPT = `
const { [process.env.BUS_OPEN]: open } = await import(process.env.BUS_MODULE);
const { createLogger } = await import(process.env.LOGGER_MODULE);
const logger = createLogger('silent');
const channel = process.env.BUS_CHANNEL;
const buses = [await open({ url: process.env.BUS_URL, channel, logger }), await open({ url: process.env.AWAY_URL, channel, logger })];
for (const bus of buses) bus.publish({ kind: 'tools_list_changed' });
console.log(JSON.stringify(process.getActiveResourcesInfo()));
await Promise.all(buses.map((bus) => bus.close()));
console.log('closed');
`;

/** The broker's URL with another port. */
function awayUrl(url: string, port: number): string {
  const away = new URL(url);
  away.hostname = '127.0.0.1';
  away.port = String(port);
  return away.toString();
}

const envelope = (event: unknown, origin: unknown = randomUUID()) => JSON.stringify({ origin, event });
const uri = (name: string) => `memo://${name}/${randomUUID()}`;

export function serverEventBusContract(name: string, broker: () => BusBroker, { skip = false } = {}): void {
  describe.skipIf(skip)(`server event bus contract: ${name}`, () => {
    const opened: ClosableServerEventBus[] = [];
    afterAll(() => Promise.all(opened.map((bus) => bus.close())));

    async function open(channel: string, url = broker().url, logger = createLogger('silent')): Promise<ClosableServerEventBus> {
      const bus = await broker().open({ url, channel, logger });
      opened.push(bus);
      return bus;
    }

    it('leaves nothing open once closed, connected or not: a process that closed its buses exits by itself', async () => {
      const { module, openExport } = broker();
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CLOSING_SCRIPT], {
        cwd: fileURLToPath(ROOT),
        env: {
          PATH: process.env.PATH ?? '',
          BUS_MODULE: new URL(module, ROOT).href,
          BUS_OPEN: openExport,
          LOGGER_MODULE: new URL('src/observability/logger.ts', ROOT).href,
          BUS_URL: broker().url,
          // Refused on every attempt: that bus waits to reconnect when it is closed.
          AWAY_URL: awayUrl(broker().url, await closedPort()),
          BUS_CHANNEL: broker().channel(),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await waitFor(() => child.exitCode !== null, { timeoutMs: 10_000 });
        expect(await exit, output).toBe(0);
        const open = JSON.parse(output.split('\n').find((line) => line.startsWith('['))!) as string[];
        // Not vacuous: the connected bus held sockets, and the one away waited on a reconnect timer.
        expect(open).toContain('TCPSocketWrap');
        expect(open).toContain('Timeout');
        expect(output).toContain('closed');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    it('delivers what one bus publishes to every bus on the channel, each event once, and nothing to another channel', async () => {
      const channel = broker().channel();
      const other = broker().channel();
      const [first, second, elsewhere] = [await open(channel), await open(channel), await open(other)];
      const [atFirst, atSecond, atElsewhere] = [listen(first), listen(second), listen(elsewhere)];

      const updated: ServerEvent = { kind: 'resource_updated', uri: uri('notes') };
      first.publish({ kind: 'tools_list_changed' });
      first.publish(updated);
      // The publisher's own listeners hear it at once, without the broker.
      expect(atFirst).toEqual([{ kind: 'tools_list_changed' }, updated]);
      await waitFor(() => atSecond.length === 2);
      expect(atSecond).toEqual([{ kind: 'tools_list_changed' }, updated]);

      second.publish({ kind: 'prompts_list_changed' });
      await waitFor(() => atFirst.length === 3);
      // The broker echoed the first bus's own events before this one: they were not delivered twice.
      expect(atFirst).toEqual([{ kind: 'tools_list_changed' }, updated, { kind: 'prompts_list_changed' }]);
      expect(atSecond).toEqual([{ kind: 'tools_list_changed' }, updated, { kind: 'prompts_list_changed' }]);

      // Taken after everything above: whatever reached the other channel's bus had arrived by now.
      await broker().inject(other, envelope({ kind: 'resources_list_changed' }));
      await waitFor(() => atElsewhere.length === 1);
      expect(atElsewhere).toEqual([{ kind: 'resources_list_changed' }]);
    });

    it('drops and logs messages that are not server events, and delivers the next good one', async () => {
      const channel = broker().channel();
      const { logger, lines } = capturedLogger();
      const bus = await open(channel, broker().url, logger);
      const events = listen(bus);
      for (const message of [
        'not json',
        '"a string"',
        envelope({ kind: 'tools_list_changed' }, ''),
        JSON.stringify({ event: { kind: 'tools_list_changed' } }),
        envelope({ kind: 'tasks_changed' }),
        envelope({ kind: 'resource_updated' }),
        envelope({ kind: 'resource_updated', uri: '' }),
        envelope(null),
      ]) {
        await broker().inject(channel, message);
      }
      await broker().inject(channel, envelope({ kind: 'resource_updated', uri: 'memo://kept' }));
      await waitFor(() => events.length > 0);
      expect(events).toEqual([{ kind: 'resource_updated', uri: 'memo://kept' }]);
      const dropped = lines().filter((line) => String(line.msg).startsWith('dropped a malformed message on the event channel'));
      // One line per 30 s, however many arrive.
      expect(dropped).toHaveLength(1);
      expect(dropped[0]).toMatchObject({ level: 'warn', err: { message: 'not JSON: not json' } });
    });

    it('keeps a listener that throws from stopping the others', async () => {
      const channel = broker().channel();
      const { logger, lines } = capturedLogger();
      const [publisher, receiver] = [await open(channel), await open(channel, broker().url, logger)];
      receiver.subscribe(() => {
        throw new Error('listener failed');
      });
      const events = listen(receiver);
      publisher.publish({ kind: 'tools_list_changed' });
      await waitFor(() => events.length === 1);
      expect(lines().some((line) => (line.err as { message?: string } | undefined)?.message === 'listener failed')).toBe(true);
    });

    it('delivers to its own listeners, and neither throws nor holds up the start, while the broker refuses connections', async () => {
      const proxy = await tcpProxy(broker().url, broker().defaultPort);
      await proxy.cut();
      try {
        const started = performance.now();
        const bus = await open(broker().channel(), proxy.url);
        // A refused connection settles the first attempt: the start does not wait out the 2 s bound.
        expect(performance.now() - started).toBeLessThan(1500);
        const events = listen(bus);
        bus.publish({ kind: 'tools_list_changed' });
        expect(events).toEqual([{ kind: 'tools_list_changed' }]);
        await bus.close();
      } finally {
        await proxy.close();
      }
    });

    it('listens again after the broker connection is lost, and publishes again', async () => {
      const channel = broker().channel();
      const proxy = await tcpProxy(broker().url, broker().defaultPort);
      try {
        const { logger, lines } = capturedLogger();
        const [behind, direct] = [await open(channel, proxy.url, logger), await open(channel)];
        const [atBehind, atDirect] = [listen(behind), listen(direct)];
        direct.publish({ kind: 'tools_list_changed' });
        await waitFor(() => atBehind.length === 1);

        await proxy.cut();
        await proxy.restore();
        // Published until it gets through: the bus behind the proxy reconnects on its own schedule.
        await waitFor(
          () => {
            if (atBehind.length > 1) return true;
            direct.publish({ kind: 'prompts_list_changed' });
            return false;
          },
          { timeoutMs: 15_000, intervalMs: 100 },
        );
        expect(atBehind.at(-1)).toEqual({ kind: 'prompts_list_changed' });
        // Operators learn that the bus was away, and that it is back.
        await waitFor(() => lines().some((line) => /listening again/.test(String(line.msg))));
        expect(lines().some((line) => line.level === 'warn' && /^event bus: /.test(String(line.msg)))).toBe(true);
        const before = atDirect.length;
        await waitFor(
          () => {
            if (atDirect.slice(before).some((event) => event.kind === 'resources_list_changed')) return true;
            behind.publish({ kind: 'resources_list_changed' });
            return false;
          },
          { timeoutMs: 15_000, intervalMs: 100 },
        );
      } finally {
        await proxy.close();
      }
    });

  });
}
