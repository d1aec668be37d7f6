import type { Redis } from 'ioredis';
import { boundedWait, RelayedServerEventBus } from './relayed-bus.js';
import { throttledWarning, type Logger } from '../observability/logger.js';
import { createRedisClient } from '../store/redis.js';

export interface RedisEventBusOptions {
  url: string;
  /** The pub/sub channel; instances of one app share it, other apps on the same Redis use their own. */
  channel: string;
  logger: Logger;
}

/**
 * `subscriptions/listen` change events between instances over Redis pub/sub: one connection
 * publishes, a dedicated one subscribes (a subscribed Redis connection can run nothing else).
 * Both reconnect on their own with capped backoff; the subscriber subscribes again each time it
 * is ready. While Redis is away events still reach this instance's streams, but not the others'.
 */
export class RedisServerEventBus extends RelayedServerEventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly publishWarning: (error: unknown) => void;
  /** Resolves once the subscriber first listens on the channel, or its first connection attempt failed. */
  readonly started: Promise<void>;

  constructor({ url, channel, logger }: RedisEventBusOptions) {
    super(logger, 'redis');
    this.channel = channel;
    const connectionWarning = throttledWarning(logger, 'event bus: Redis connection error (repeats within 30 s are not logged)').warn;
    this.publishWarning = throttledWarning(
      logger,
      'event bus: a change event did not reach the other instances: Redis did not take it (repeats within 30 s are not logged)',
    ).warn;
    this.publisher = createRedisClient(url, { onError: connectionWarning });
    this.subscriber = createRedisClient(url, { onError: connectionWarning });
    this.subscriber.on('message', (from: string, message: string) => {
      if (from === this.channel) this.receive(message);
    });
    // A connection closed cleanly emits no error: say that events may be missed until it is back.
    const lostWarning = throttledWarning(logger, 'event bus: Redis connection lost, reconnecting (repeats within 30 s are not logged)').warn;
    this.subscriber.on('reconnecting', () => lostWarning(new Error('subscriber connection closed')));
    let listened = false;
    this.started = new Promise<void>((resolve) => {
      this.subscriber.once('error', () => resolve());
      // Each time the connection is (again) ready: a new connection starts with no subscription.
      this.subscriber.on('ready', () => {
        this.subscriber.subscribe(this.channel).then(
          () => {
            if (listened) logger.info('event bus: Redis listening again (events other instances published meanwhile did not arrive)');
            listened = true;
            resolve();
          },
          (error: unknown) => {
            connectionWarning(error);
            resolve();
          },
        );
      });
    });
  }

  protected send(message: string): void {
    this.publisher.publish(this.channel, message).catch(this.publishWarning);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([endConnection(this.publisher), endConnection(this.subscriber)]);
  }
}

/**
 * Opens the bus and waits (up to `timeoutMs`) until it listens: events published by another
 * instance right after the start then arrive. Redis down at start does not fail or hold up the
 * start; the bus listens once Redis is back.
 */
export async function openRedisEventBus(options: RedisEventBusOptions, timeoutMs = 2000): Promise<RedisServerEventBus> {
  const bus = new RedisServerEventBus(options);
  await boundedWait(bus.started, timeoutMs);
  return bus;
}

/** Ends a connection and waits until its socket is closed; one waiting to reconnect just stops. */
async function endConnection(client: Redis): Promise<void> {
  if (!['connecting', 'connect', 'ready'].includes(client.status)) {
    client.disconnect();
    return;
  }
  // Not events.once: it would reject on the error a failing QUIT may emit meanwhile.
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
  await ended;
}
