import { randomUUID } from 'node:crypto';
import { InMemoryServerEventBus, type ServerEvent } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { throttledWarning, type Logger } from '../observability/logger.js';
import type { ClosableServerEventBus } from '../state/shared-state.js';

/** The change events of `subscriptions/listen`, as the SDK's `ServerEvent` defines them. */
const SERVER_EVENT = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tools_list_changed') }),
  z.object({ kind: z.literal('prompts_list_changed') }),
  z.object({ kind: z.literal('resources_list_changed') }),
  z.object({ kind: z.literal('resource_updated'), uri: z.string().min(1) }),
]) satisfies z.ZodType<ServerEvent>;

/** One message between instances: the event, and the bus that published it. */
const ENVELOPE = z.object({ origin: z.string().min(1), event: SERVER_EVENT });

/**
 * The part of a `ServerEventBus` over a broker that does not depend on the broker. A published
 * event reaches the listeners of this process at once, through the SDK's in-process bus, whether
 * the broker answers or not, and goes to the broker as JSON tagged with this bus's id; a message
 * from the broker reaches the same listeners unless this bus sent it (it was delivered already)
 * or it is not a server event (logged and dropped: another program, or another version, writes
 * to the channel).
 *
 * Delivery across instances is at most once, like the brokers' pub/sub: an instance that is
 * disconnected from the broker misses what is published meanwhile. A client that must not miss a
 * change re-reads the list when it opens a new `subscriptions/listen` stream.
 */
export abstract class RelayedServerEventBus implements ClosableServerEventBus {
  private readonly origin = randomUUID();
  private readonly local: InMemoryServerEventBus;
  private readonly droppedWarning: (error: unknown) => void;
  protected readonly logger: Logger;
  protected closed = false;

  constructor(logger: Logger, broker: string) {
    this.logger = logger;
    this.local = new InMemoryServerEventBus((error) => logger.error({ err: error }, 'a subscriptions/listen stream failed to take a change event'));
    this.droppedWarning = throttledWarning(logger, 'dropped a malformed message on the event channel (repeats within 30 s are not logged)', {
      broker,
    }).warn;
  }

  publish(event: ServerEvent): void {
    this.local.publish(event);
    if (!this.closed) this.send(JSON.stringify({ origin: this.origin, event }));
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    return this.local.subscribe(listener);
  }

  /** Delivers a message from the broker to this process's listeners, unless this bus sent it or it is malformed. */
  protected receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return this.dropped('not JSON', message);
    }
    const envelope = ENVELOPE.safeParse(parsed);
    if (!envelope.success) return this.dropped('not a server event', message);
    if (envelope.data.origin !== this.origin) this.local.publish(envelope.data.event);
  }

  /** Sends an encoded event to the other instances; failures are the bus's to log, never the publisher's. */
  protected abstract send(message: string): void;

  abstract close(): Promise<void>;

  private dropped(reason: string, message: string): void {
    this.droppedWarning(new Error(`${reason}: ${message.slice(0, 200)}`));
  }
}

/** Delay before reconnect attempt `attempt` (1, 2, ...): half of a capped exponential step, plus up to as much at random. */
export function reconnectDelay(attempt: number): number {
  const step = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
  return step / 2 + Math.random() * (step / 2);
}

/** Resolves when `ready` does or after `timeoutMs`, whichever is first: a broker down at start must not stop the start. */
export async function boundedWait(ready: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
