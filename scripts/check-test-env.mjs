#!/usr/bin/env node
// Checks, before any test runs, that this machine has what the live and end-to-end tests use:
// Redis, PostgreSQL with a `test` database, nginx, tmux and a git identity. Names what is
// missing and how to provide it, and exits 1; `npm run test:unit` needs none of it.
//
//   node scripts/check-test-env.mjs            everything `npm test` needs
//   node scripts/check-test-env.mjs e2e live   what those vitest projects need
//
// `.ci/run` installs and starts all of it on a clean Debian machine.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROJECTS = ['unit', 'live', 'e2e'];

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DATABASE = new URL(DATABASE_URL).pathname.slice(1) || 'test';

/**
 * What the tests need, which vitest projects need it, and how to provide it. `fix` receives the
 * probe's finding (`problem`: a short code the probe chose; `detail`: what it saw).
 */
export const REQUIREMENTS = [
  {
    id: 'redis',
    label: `Redis at ${REDIS_URL}`,
    projects: ['e2e'],
    fix: () =>
      'start it with `redis-server --daemonize yes` (install it with `apt-get install redis-server`), or point REDIS_URL at a running one',
  },
  {
    id: 'postgres',
    label: `PostgreSQL at ${DATABASE_URL}`,
    projects: ['e2e'],
    fix: ({ problem }) => {
      if (problem === 'no-database')
        return `create the database: \`su postgres -c "createdb ${DATABASE}"\` (or \`createdb -h 127.0.0.1 -U postgres ${DATABASE}\`)`;
      if (problem === 'auth')
        return 'let loopback connect without a password: add `host all all 127.0.0.1/32 trust` to pg_hba.conf and reload, or put the password in DATABASE_URL';
      return 'start it with `pg_ctlcluster <version> main start` (install it with `apt-get install postgresql`), or point DATABASE_URL at a running one';
    },
  },
  {
    id: 'nginx',
    label: 'nginx (on PATH, in /usr/sbin, or NGINX_BIN)',
    projects: ['e2e'],
    fix: () =>
      'install it with `apt-get install nginx` (the tests start it themselves; the service may stay stopped), or set NGINX_BIN to its binary',
  },
  {
    id: 'tmux',
    label: 'tmux (drives the wizard in a terminal)',
    projects: ['live'],
    fix: () => 'install it with `apt-get install tmux`',
  },
  {
    id: 'git-identity',
    label: 'a git identity (the generator makes a first commit)',
    projects: ['live'],
    fix: ({ problem }) =>
      problem === 'no-git'
        ? 'install git with `apt-get install git`, then set an identity: `git config --global user.name "Your Name"` and `git config --global user.email you@example.com`'
        : 'set one: `git config --global user.name "Your Name"` and `git config --global user.email you@example.com`',
  },
];

/** The requirements of the given vitest projects (all of them when none is given). */
export function requirementsFor(projects) {
  const unknown = projects.filter((project) => !PROJECTS.includes(project));
  if (unknown.length > 0)
    throw new Error(`unknown vitest project ${unknown.join(', ')}: use any of ${PROJECTS.join(', ')}`);
  const wanted = projects.length === 0 ? PROJECTS : projects;
  return REQUIREMENTS.filter((requirement) => requirement.projects.some((project) => wanted.includes(project)));
}

/**
 * The pure part: probe findings (`{ id: { ok, problem?, detail? } }`) against the requirements.
 * Returns the exit code and the text to print: every missing requirement with what was seen and
 * the fix. A requirement without a finding counts as missing: an unchecked need is never met.
 */
export function judge(requirements, findings) {
  const missing = requirements.filter((requirement) => findings[requirement.id]?.ok !== true);
  if (missing.length === 0)
    return { exitCode: 0, text: `test environment: ${requirements.map((r) => r.id).join(', ')} ok` };
  const lines = missing.map((requirement) => {
    const finding = findings[requirement.id] ?? { ok: false, problem: 'unchecked', detail: 'not checked' };
    return `  - ${requirement.label}: ${finding.detail ?? 'missing'}\n    fix: ${requirement.fix(finding)}`;
  });
  return {
    exitCode: 1,
    text: [
      `The tests need ${missing.length === 1 ? 'something' : 'things'} this machine does not have; nothing was run:`,
      ...lines,
      '`.ci/run` installs and starts all of it on a Debian machine; `npm run test:unit` needs none of it.',
    ].join('\n'),
  };
}

// ---- probes (the impure part) ----

/** Sends `payload` to host:port and resolves with the first bytes answered; rejects on error or timeout. */
function exchange(host, port, payload, timeoutMs = 2000) {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(payload));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(data.toString('latin1'));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function probeRedis() {
  const url = new URL(REDIS_URL);
  try {
    const answer = await exchange(url.hostname, Number(url.port || 6379), 'PING\r\n');
    // A password-protected Redis answers -NOAUTH: it is there, and REDIS_URL carries the password.
    if (answer.startsWith('+PONG') || (answer.startsWith('-NOAUTH') && url.password)) return { ok: true };
    return {
      ok: false,
      problem: 'not-redis',
      detail: `answered ${JSON.stringify(answer.trim().slice(0, 60))} to PING`,
    };
  } catch (error) {
    return { ok: false, problem: 'down', detail: `cannot connect (${error.code ?? error.message})` };
  }
}

async function probePostgres() {
  let pg;
  try {
    // The templates workspace pins the pg client that the generated projects use.
    pg = createRequire(join(ROOT, 'templates', 'package.json'))('pg');
  } catch {
    return {
      ok: false,
      problem: 'no-client',
      detail: 'the pg client is not installed: run `npm ci` at the repository root first',
    };
  }
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    if (error.code === '3D000') return { ok: false, problem: 'no-database', detail: error.message };
    if (error.code === '28P01' || error.code === '28000') return { ok: false, problem: 'auth', detail: error.message };
    return { ok: false, problem: 'down', detail: `cannot connect (${error.code ?? error.message})` };
  } finally {
    await client.end().catch(() => {});
  }
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

function probeNginx() {
  const candidates = [process.env.NGINX_BIN, '/usr/sbin/nginx'].filter(Boolean);
  if (candidates.some((file) => existsSync(file)) || onPath('nginx')) return { ok: true };
  return {
    ok: false,
    problem: 'missing',
    detail: process.env.NGINX_BIN ? `NGINX_BIN=${process.env.NGINX_BIN} does not exist` : 'not found',
  };
}

function probeTmux() {
  return onPath('tmux') ? { ok: true } : { ok: false, problem: 'missing', detail: 'not on PATH' };
}

function probeGitIdentity() {
  if (!onPath('git')) return { ok: false, problem: 'no-git', detail: 'git is not on PATH' };
  const get = (key, variable) => {
    if (process.env[variable]) return process.env[variable];
    try {
      return execFileSync('git', ['config', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const unset = [
    ['user.name', 'GIT_AUTHOR_NAME'],
    ['user.email', 'GIT_AUTHOR_EMAIL'],
  ]
    .filter(([key, variable]) => !get(key, variable))
    .map(([key]) => key);
  return unset.length === 0
    ? { ok: true }
    : { ok: false, problem: 'no-identity', detail: `${unset.join(' and ')} not set` };
}

const PROBES = {
  redis: probeRedis,
  postgres: probePostgres,
  nginx: probeNginx,
  tmux: probeTmux,
  'git-identity': probeGitIdentity,
};

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

async function main(args) {
  let requirements;
  try {
    requirements = requirementsFor(args);
  } catch (error) {
    console.error(`check-test-env: ${error.message}`);
    return 2;
  }
  const entries = await Promise.all(
    requirements.map(async (requirement) => [requirement.id, await PROBES[requirement.id]()]),
  );
  const { exitCode, text } = judge(requirements, Object.fromEntries(entries));
  (exitCode === 0 ? console.log : console.error)(text);
  return exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
