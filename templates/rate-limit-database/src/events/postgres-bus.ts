import pg from 'pg';
import { throttledWarning, type Logger } from '../observability/logger.js';
import { boundedWait, reconnectDelay, RelayedServerEventBus } from './relayed-bus.js';

/**
 * Postgres refuses a NOTIFY payload of 8000 bytes or more (the default build). A change event
 * is far smaller unless a resource URI is kilobytes long: such an event reaches this instance's
 * streams only, and is logged as an error.
 */
export const MAX_PAYLOAD_BYTES = 7999;

export interface PostgresEventBusOptions {
  url: string;
  /** The LISTEN/NOTIFY channel; instances of one app share it, other apps on the same database use their own. */
  channel: string;
  logger: Logger;
}

/**
 * `subscriptions/listen` change events between instances over Postgres LISTEN/NOTIFY, on one
 * dedicated connection (not a pool's: LISTEN belongs to a connection, and a pooled one is handed
 * to others). NOTIFY goes out on the same connection. When the connection is lost it is opened
 * again with capped backoff and LISTENs again; meanwhile events still reach this instance's
 * streams, but not the others'.
 */
export class PostgresServerEventBus extends RelayedServerEventBus {
  private readonly url: string;
  private readonly channel: string;
  private readonly connectionWarning: (error: unknown) => void;
  private readonly publishWarning: (error: unknown) => void;
  private client: pg.Client | undefined;
  /** The connection while it LISTENs. */
  private listening: pg.Client | undefined;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private onFirstAttempt: () => void = () => {};
  /** Resolves once the bus first LISTENs on the channel, or its first connection attempt failed. */
  readonly started: Promise<void>;

  constructor({ url, channel, logger }: PostgresEventBusOptions) {
    super(logger, 'postgres');
    if (Buffer.byteLength(channel) > 63) throw new Error(`event channel ${JSON.stringify(channel)}: at most 63 bytes (a Postgres identifier)`);
    this.url = url;
    this.channel = channel;
    this.connectionWarning = throttledWarning(logger, 'event bus: Postgres connection lost, reconnecting (repeats within 30 s are not logged)').warn;
    this.publishWarning = throttledWarning(
      logger,
      'event bus: a change event did not reach the other instances: Postgres did not take it (repeats within 30 s are not logged)',
    ).warn;
    this.started = new Promise((resolve) => (this.onFirstAttempt = resolve));
    this.connect();
  }

  protected send(message: string): void {
    if (Buffer.byteLength(message) > MAX_PAYLOAD_BYTES) {
      this.logger.error(
        { bytes: Buffer.byteLength(message), limit: MAX_PAYLOAD_BYTES },
        'event bus: change event too large for a Postgres NOTIFY: delivered on this instance only',
      );
      return;
    }
    if (!this.listening) {
      this.publishWarning(new Error('not connected'));
      return;
    }
    this.listening.query('SELECT pg_notify($1, $2)', [this.channel, message]).catch(this.publishWarning);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.listening = undefined;
    await this.client?.end();
  }

  private connect(): void {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000, keepAlive: true });
    this.client = client;
    let lost = false;
    const reconnect = (error: unknown) => {
      if (lost) return;
      lost = true;
      this.onFirstAttempt();
      if (this.listening === client) this.listening = undefined;
      if (this.closed) return;
      this.connectionWarning(error);
      client.end().catch(() => {});
      this.timer = setTimeout(() => this.connect(), reconnectDelay(++this.attempts));
    };
    // A lost server emits 'error' and then 'end'; a failed connect rejects and then ends.
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('connection ended')));
    client.on('notification', ({ channel, payload }) => {
      if (channel === this.channel) this.receive(payload ?? '');
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdentifier(this.channel)}`))
      .then(() => {
        if (lost || this.closed) return;
        if (this.attempts > 0) this.logger.info('event bus: Postgres listening again (events other instances published meanwhile did not arrive)');
        this.attempts = 0;
        this.listening = client;
        this.onFirstAttempt();
      }, reconnect);
  }
}

/**
 * Opens the bus and waits (up to `timeoutMs`) until it LISTENs: events published by another
 * instance right after the start then arrive. Postgres down at start does not fail or hold up
 * the start; the bus listens once Postgres is back.
 */
export async function openPostgresEventBus(options: PostgresEventBusOptions, timeoutMs = 2000): Promise<PostgresServerEventBus> {
  const bus = new PostgresServerEventBus(options);
  await boundedWait(bus.started, timeoutMs);
  return bus;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
