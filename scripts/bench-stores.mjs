#!/usr/bin/env node
// Session store throughput: create/get/touch/listByUser per second for every session store a
// generated project can have (Redis, SQLite, Postgres, hybrid; a project on the memory store keeps
// its sessions in the process and has none), with redis-benchmark SET/GET on the same
// Redis as the yardstick in the same table; then listByUser among 100,000 sessions in Redis, the
// per-user index against a SCAN over every session (the seed's lookup), as a ratio.
//
//   npm run bench:stores        REDIS_URL, DATABASE_URL (postgres), BENCH_OPS, BENCH_CONCURRENCY,
//                               BENCH_SESSIONS (100000) override the defaults.
//
// The stores are the generated project's own code (dist/store), connected from its own configuration
// (dist/config.js) as its server connects them, on Node 24 (node:sqlite).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nodeBinDir } from './node-runtime.mjs';

const root = resolve(import.meta.dirname, '..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OPS = Number(process.env.BENCH_OPS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);

function redisBenchmark() {
  const url = new URL(REDIS_URL);
  const args = [
    '-h',
    url.hostname,
    '-p',
    url.port || '6379',
    '-t',
    'set,get',
    '-n',
    String(Math.max(OPS * 10, 100_000)),
    '-c',
    String(CONCURRENCY),
    '-q',
    '--csv',
  ];
  const result = spawnSync('redis-benchmark', args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(
      `redis-benchmark failed (is it installed? apt-get install redis-tools): ${result.stderr || result.error}`,
    );
  const rates = {};
  for (const line of result.stdout.split('\n')) {
    const match = /^"(SET|GET)","([\d.]+)"/.exec(line);
    if (match) rates[match[1]] = Number(match[2]);
  }
  return rates;
}

// The worker runs inside the generated project, on Node 24, against its compiled stores.
const WORKER = String.raw`
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from './dist/config.js';
import { connectDatabaseStore } from './dist/store/connect-database.js';
import { connectRedisStore } from './dist/store/connect-redis.js';
import { HybridSessionStore } from './dist/store/hybrid.js';

const [ops, concurrency, sessions, redisUrl, databaseUrl, sqliteFile] = process.argv.slice(2);
const OPS = Number(ops), CONCURRENCY = Number(concurrency), SESSIONS = Number(sessions);
const run = randomUUID().slice(0, 8);
const prefix = 'bench:' + run + ':';
const table = 'bench_' + run;

async function pool(count, task) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
    while (next < count) await task(next++);
  }));
  return count / ((performance.now() - started) / 1000);
}

/** The project's own configuration, as its server reads it from the environment, for the bench's keys and table. */
const configFor = (env) =>
  loadConfig({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, DATABASE_URL: databaseUrl, SESSION_TABLE: table, SESSION_TTL_MS: '3600000', ...env });

/** Each store as the project's server connects it (the hybrid one is Redis in front of the Postgres store). */
const STORES = {
  redis: () => connectRedisStore(configFor({})),
  'database (sqlite)': () => connectDatabaseStore(configFor({ DATABASE_URL: 'file:' + sqliteFile })),
  'database (postgres)': () => connectDatabaseStore(configFor({})),
  'hybrid (redis + postgres)': async () =>
    new HybridSessionStore({ redis: await connectRedisStore(configFor({})), database: await connectDatabaseStore(configFor({})) }),
};

async function measure(name) {
  const store = await STORES[name]();
  await store.ping();
  const ids = Array.from({ length: OPS }, () => randomUUID());
  const users = Array.from({ length: Math.ceil(OPS / 5) }, (_, i) => 'user-' + i);
  const row = { store: name };
  row.create = await pool(OPS, (i) => store.create({ sessionId: ids[i], userId: users[i % users.length], capabilities: { sampling: {} }, metadata: { clientInfo: { name: 'bench', version: '1' } }, initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } } }));
  row.get = await pool(OPS, (i) => store.get(ids[i]));
  row.touch = await pool(OPS, (i) => store.touch(ids[i]));
  row.listByUser = await pool(OPS, (i) => store.listByUser(users[i % users.length]));
  for (const id of ids) await store.delete(id);
  await store.close();
  return row;
}

async function cleanup() {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', prefix + '*', 'COUNT', 10000);
    cursor = nextCursor;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  const client = new pg.Client(databaseUrl);
  await client.connect();
  await client.query('DROP TABLE IF EXISTS ' + table);
  await client.end();
}

/** listByUser among SESSIONS sessions: the per-user index against a SCAN of every session key (the seed's way). */
async function largeLookup() {
  const store = await connectRedisStore(configFor({ REDIS_KEY_PREFIX: prefix + 'large:' }));
  const users = Math.ceil(SESSIONS / 10);
  await pool(SESSIONS, (i) => store.create({ sessionId: 's-' + i, userId: 'u-' + (i % users) }));
  const redis = new Redis(redisUrl);
  const target = 'u-7';
  const time = async (lookup, rounds) => {
    const started = performance.now();
    let found = 0;
    for (let r = 0; r < rounds; r++) found = (await lookup()).length;
    return { ms: (performance.now() - started) / rounds, found };
  };
  const indexed = await time(() => store.listByUser(target), 200);
  const scan = await time(async () => {
    const out = [];
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', prefix + 'large:session:*', 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length === 0) continue;
      // Generous to the baseline: one MGET per SCAN page instead of a GET per key.
      for (const raw of await redis.mget(...keys)) {
        const record = raw && JSON.parse(raw);
        if (record && record.userId === target) out.push(record);
      }
    } while (cursor !== '0');
    return out;
  }, 3);
  redis.disconnect();
  await store.close();
  return { sessions: SESSIONS, perUser: 10, indexed, scan };
}

try {
  const rows = [];
  for (const name of Object.keys(STORES)) rows.push(await measure(name));
  const large = await largeLookup();
  console.log(JSON.stringify({ rows, large }));
} finally {
  await cleanup();
}
`;

const work = mkdtempSync(join(tmpdir(), 'bench-stores-'));
try {
  // Node 24 has node:sqlite; fetched once as the e2e tests do.
  const bin = await nodeBinDir(24);
  const node = join(bin, 'node');
  const nodeEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    CI: 'true',
    NO_COLOR: '1',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  console.error('generating and installing a project with every store...');
  execFileSync(
    process.execPath,
    [
      join(root, 'bin', 'mcp-arch.js'),
      'generate',
      'app',
      '--pattern',
      'load-balanced',
      '--store',
      'hybrid',
      '--yes',
      '--no-install',
      '--no-git',
    ],
    { cwd: work, env: nodeEnv, stdio: 'ignore' },
  );
  const app = join(work, 'app');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    env: nodeEnv,
    stdio: 'ignore',
  });
  execFileSync('npm', ['run', 'build'], { cwd: app, env: nodeEnv, stdio: 'ignore' });
  writeFileSync(join(app, 'bench-worker.mjs'), WORKER);

  console.error(`redis-benchmark (${CONCURRENCY} clients)...`);
  const yardstick = redisBenchmark();
  console.error(`stores: ${OPS} operations each, ${CONCURRENCY} in flight; then ${SESSIONS} sessions in Redis...`);
  const output = execFileSync(
    node,
    [
      'bench-worker.mjs',
      String(OPS),
      String(CONCURRENCY),
      String(SESSIONS),
      REDIS_URL,
      DATABASE_URL,
      join(work, 'bench.db'),
    ],
    { cwd: app, env: nodeEnv, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const { rows, large } = JSON.parse(output.trim().split('\n').at(-1));

  const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
  const pct = (n) => `${((n / yardstick.GET) * 100).toFixed(1)}%`;
  const table = [
    ['store', 'create/s', 'get/s', 'touch/s', 'listByUser/s', 'get vs redis GET'],
    ['redis-benchmark SET / GET (yardstick)', fmt(yardstick.SET), fmt(yardstick.GET), '', '', '100.0%'],
    ...rows.map((row) => [row.store, fmt(row.create), fmt(row.get), fmt(row.touch), fmt(row.listByUser), pct(row.get)]),
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((line) => line[column].length)));
  const print = (line) =>
    console.log(
      line
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  '),
    );
  console.log(
    `\nSession store operations per second (${OPS} each, ${CONCURRENCY} in flight; redis-benchmark with ${CONCURRENCY} clients)`,
  );
  print(table[0]);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of table.slice(1)) print(line);

  console.log(
    `\nlistByUser among ${large.sessions.toLocaleString('en-US')} sessions in Redis (${large.perUser} per user)`,
  );
  console.log(`  per-user index (this store): ${large.indexed.ms.toFixed(3)} ms, found ${large.indexed.found}`);
  console.log(`  SCAN of every session (the seed's lookup): ${large.scan.ms.toFixed(1)} ms, found ${large.scan.found}`);
  console.log(`  ratio: the index is ${Math.round(large.scan.ms / large.indexed.ms).toLocaleString('en-US')}x faster`);
  if (large.indexed.found !== large.scan.found) throw new Error('the two lookups disagree on the sessions found');
} finally {
  rmSync(work, { recursive: true, force: true });
}
