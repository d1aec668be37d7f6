import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { openRedisEventBus } from '../src/events/redis-bus.js';
import { serverEventBusContract } from './event-bus-contract.js';
import { assertReachable, service } from './services.js';
import { RUN } from './store-contract.js';

/** The Redis pub/sub event bus against the real Redis named by REDIS_URL (the local one when unset). */
const redis = service('redis');
beforeAll(() => assertReachable('redis', redis));

let injector: Redis | undefined;
afterAll(() => injector?.quit());
let channels = 0;

serverEventBusContract(
  `redis pub/sub${redis.skipped}`,
  () => ({
    url: redis.url!,
    defaultPort: 6379,
    module: 'src/events/redis-bus.ts',
    openExport: 'openRedisEventBus',
    channel: () => `test:${RUN}:events:${++channels}`,
    open: (options) => openRedisEventBus(options),
    inject: async (channel, message) => {
      injector ??= new Redis(redis.url!);
      await injector.publish(channel, message);
    },
  }),
  { skip: !redis.url },
);
