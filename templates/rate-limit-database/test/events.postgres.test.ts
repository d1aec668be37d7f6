import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, openPostgresEventBus, PostgresServerEventBus } from '../src/events/postgres-bus.js';
import { createLogger } from '../src/observability/logger.js';
import { capturedLogger, listen, serverEventBusContract } from './event-bus-contract.js';
import { waitFor } from './helpers.js';
import { assertReachable, service } from './services.js';
import { RUN } from './store-contract.js';

/**
 * The Postgres LISTEN/NOTIFY event bus against the real Postgres named by DATABASE_URL (the
 * local one when unset). A SQLite project has no such bus: its one instance delivers its own
 * changes through the MCP handler's in-process bus.
 */
const postgres = service('postgres');
beforeAll(() => assertReachable('postgres', postgres));

let injector: pg.Client | undefined;
afterAll(() => injector?.end());
let channels = 0;
const channel = () => `events_${RUN}_${++channels}`;

serverEventBusContract(
  `postgres LISTEN/NOTIFY${postgres.skipped}`,
  () => ({
    url: postgres.url!,
    defaultPort: 5432,
    module: 'src/events/postgres-bus.ts',
    openExport: 'openPostgresEventBus',
    channel,
    open: (options) => openPostgresEventBus(options),
    inject: async (name, message) => {
      if (!injector) {
        injector = new pg.Client({ connectionString: postgres.url! });
        await injector.connect();
      }
      await injector.query('SELECT pg_notify($1, $2)', [name, message]);
    },
  }),
  { skip: !postgres.url },
);

describe.skipIf(!postgres.url)(`the Postgres event bus's limits${postgres.skipped}`, () => {
  it('delivers an event too large for NOTIFY on its own instance only, and logs it as an error', async () => {
    const name = channel();
    const { logger, lines } = capturedLogger();
    const [publisher, receiver] = [await openPostgresEventBus({ url: postgres.url!, channel: name, logger }), await openPostgresEventBus({ url: postgres.url!, channel: name, logger: createLogger('silent') })];
    try {
      const [atPublisher, atReceiver] = [listen(publisher), listen(receiver)];
      const large = { kind: 'resource_updated' as const, uri: `memo://${'x'.repeat(MAX_PAYLOAD_BYTES)}` };
      publisher.publish(large);
      publisher.publish({ kind: 'tools_list_changed' });
      expect(atPublisher).toEqual([large, { kind: 'tools_list_changed' }]);
      // Published after the large one: had that gone out, it would have arrived first.
      await waitFor(() => atReceiver.length > 0);
      expect(atReceiver).toEqual([{ kind: 'tools_list_changed' }]);
      expect(lines()).toContainEqual(expect.objectContaining({ level: 'error', limit: MAX_PAYLOAD_BYTES, msg: expect.stringContaining('too large for a Postgres NOTIFY') }));
    } finally {
      await Promise.all([publisher.close(), receiver.close()]);
    }
  });

  it('refuses a channel name longer than a Postgres identifier', () => {
    expect(() => new PostgresServerEventBus({ url: postgres.url!, channel: 'c'.repeat(64), logger: createLogger('silent') })).toThrow(/at most 63 bytes/);
  });
});
