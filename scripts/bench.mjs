#!/usr/bin/env node
// Benchmarks of the CLI as users get it, side by side with create-vite in the same run (ratios),
// because absolute times drift between machines and runs. Both packages are packed, installed
// from their tarballs into empty folders and run from there.
//   BENCH_RUNS           --help and generate runs per command (median), default 15
//   BENCH_INSTALL_RUNS   installs per package (median), default 3
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The yardstick: a create-tool known for installing and starting fast. Pinned, so runs compare. */
const YARDSTICK = { name: 'create-vite', version: '9.3.0', bin: 'create-vite' };

const root = resolve(import.meta.dirname, '..');
const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const runs = Number(process.env.BENCH_RUNS ?? 15);
const installRuns = Number(process.env.BENCH_INSTALL_RUNS ?? 3);
const env = { ...process.env, CI: 'true', NO_COLOR: '1', npm_config_update_notifier: 'false' };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = (times) => ({ median: median(times), min: Math.min(...times), max: Math.max(...times) });

/** Wall time of one command in ms; a non-zero exit ends the bench (a broken command measures nothing). */
function timeOnce(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

/** Runs each named command `n` times, interleaved so both see the same machine load. */
function interleaved(n, commands) {
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const [key, make] of Object.entries(commands)) times[key].push(make(i)());
  return Object.fromEntries(Object.entries(times).map(([k, t]) => [k, summary(t)]));
}

function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(full) : (statSync(full, { throwIfNoEntry: false })?.size ?? 0);
  }
  return total;
}

/** Package folders in a node_modules tree, nested ones included. */
function packagesUnder(modules) {
  let names;
  try {
    names = readdirSync(modules).filter((name) => !name.startsWith('.'));
  } catch {
    return 0;
  }
  return names
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
    )
    .reduce((count, name) => count + 1 + packagesUnder(join(modules, name, 'node_modules')), 0);
}

function npmPack(spec, cwd, destination) {
  const args = ['pack', ...(spec ? [spec] : []), '--ignore-scripts', '--json', '--pack-destination', destination];
  const [pack] = JSON.parse(
    execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  return { file: join(destination, pack.filename), size: pack.size };
}

/** A fresh empty project folder with the tarball installed: returns the install time. */
function install(tarball, folder) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), '{ "private": true }\n');
  return () => timeOnce('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: folder });
}

const fmt = {
  ms: (v) => `${v.toFixed(1)} ms`,
  kib: (v) => `${(v / 1024).toFixed(0)} KiB`,
  mib: (v) => `${(v / 1024 / 1024).toFixed(2)} MiB`,
  n: (v) => String(v),
};

function printTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'bench-'));
try {
  // What prepack would do, with its output kept out of npm pack --json.
  execFileSync('npm', ['run', 'build'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const packs = {
    ours: npmPack(undefined, root, work),
    yardstick: npmPack(`${YARDSTICK.name}@${YARDSTICK.version}`, work, work),
  };
  const installs = interleaved(installRuns, {
    ours: (i) => install(packs.ours.file, join(work, `ours-${i}`)),
    yardstick: (i) => install(packs.yardstick.file, join(work, `yardstick-${i}`)),
  });
  const modules = { ours: join(work, 'ours-0', 'node_modules'), yardstick: join(work, 'yardstick-0', 'node_modules') };
  const binOf = (key, name) => realpathSync(join(modules[key], '.bin', name));
  const help = interleaved(runs, {
    ours: () => () => timeOnce(process.execPath, [binOf('ours', 'mcp-arch'), '--help']),
    yardstick: () => () => timeOnce(process.execPath, [binOf('yardstick', YARDSTICK.bin), '--help']),
    create: () => () => timeOnce(process.execPath, [binOf('ours', 'create-mcp-arch'), '--help']),
    baseline: () => () => timeOnce(process.execPath, ['-e', '0']),
  });
  const generateDir = join(work, 'generated');
  mkdirSync(generateDir);
  const generate = interleaved(runs, {
    ours: (i) => () =>
      timeOnce(
        process.execPath,
        [binOf('ours', 'mcp-arch'), 'generate', `app-${i}`, '--pattern', 'single', '--yes', '--no-install', '--no-git'],
        { cwd: generateDir },
      ),
  });

  const size = { ours: bytesUnder(modules.ours), yardstick: bytesUnder(modules.yardstick) };
  const count = { ours: packagesUnder(modules.ours), yardstick: packagesUnder(modules.yardstick) };
  const ratio = (a, b) => (a / b).toFixed(2);
  const row = (label, format, a, b) => [label, format(a), format(b), ratio(a, b)];
  console.log(
    `node ${process.version}, ${runs} runs per command (${installRuns} per install), medians unless marked; ratio = ${ours.name} / ${YARDSTICK.name}\n`,
  );
  printTable([
    ['measure', `${ours.name} ${ours.version}`, `${YARDSTICK.name} ${YARDSTICK.version}`, 'ratio'],
    row('packed tarball', fmt.kib, packs.ours.size, packs.yardstick.size),
    row('install from tarball into an empty folder', fmt.ms, installs.ours.median, installs.yardstick.median),
    row('packages installed (incl. itself)', fmt.n, count.ours, count.yardstick),
    row('installed size (node_modules, bytes)', fmt.mib, size.ours, size.yardstick),
    row('--help (mcp-arch vs create-vite)', fmt.ms, help.ours.median, help.yardstick.median),
    row('--help, fastest run', fmt.ms, help.ours.min, help.yardstick.min),
    row('--help (create-mcp-arch vs create-vite)', fmt.ms, help.create.median, help.yardstick.median),
  ]);
  console.log('');
  printTable([
    ['measure', 'median', 'min', 'max', 'x node -e 0'],
    ...[
      ['node -e 0 (baseline)', help.baseline],
      ['mcp-arch --help', help.ours],
      ['create-mcp-arch --help', help.create],
      [`${YARDSTICK.bin} --help`, help.yardstick],
      ['mcp-arch generate single --no-install', generate.ours],
    ].map(([label, r]) => [
      label,
      fmt.ms(r.median),
      fmt.ms(r.min),
      fmt.ms(r.max),
      ratio(r.median, help.baseline.median),
    ]),
  ]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
