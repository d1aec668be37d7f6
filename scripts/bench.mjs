#!/usr/bin/env node
// Benchmarks of the CLI itself. Prints a table; compares against a baseline in the same run
// (ratios), because absolute times drift between machines and runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 9);
const bin = (name) => join(root, 'bin', `${name}.js`);
const env = { ...process.env, CI: 'true', NO_COLOR: '1' };

function timeOnce(args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore', ...options });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function bench(label, makeArgs, options) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(timeOnce(makeArgs(i), options));
  return { label, median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

function dirSize(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

const work = mkdtempSync(join(tmpdir(), 'bench-'));
try {
  const baseline = bench('node -e 0 (baseline)', () => ['-e', '0']);
  const help = bench('mcp-arch --help', () => [bin('mcp-arch'), '--help']);
  const generate = bench('generate single --no-install', (i) => [bin('mcp-arch'), 'generate', `app-${i}`, '--pattern', 'single', '--yes', '--no-install', '--no-git'], { cwd: work });

  // Installed footprint: pack the CLI and install the tarball with production dependencies only.
  const pack = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0];
  const prefix = join(work, 'install');
  execFileSync('npm', ['install', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', join(work, pack.filename)], { stdio: 'ignore' });
  // One line per installed package, the first being the prefix itself.
  const packages = execFileSync('npm', ['ls', '--all', '--omit=dev', '--parseable'], { cwd: prefix, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean).length - 1;
  const installed = dirSize(join(prefix, 'node_modules'));

  const rows = [
    ['measure', 'median', 'min', 'max', 'x baseline'],
    ...[baseline, help, generate].map((r) => [r.label, `${r.median.toFixed(1)} ms`, `${r.min.toFixed(1)} ms`, `${r.max.toFixed(1)} ms`, (r.median / baseline.median).toFixed(2)]),
    ['packed tarball', `${(pack.size / 1024).toFixed(0)} KiB`, '', '', ''],
    ['installed size (prod deps)', `${(installed / 1024 / 1024).toFixed(1)} MiB`, '', '', ''],
    ['installed packages (incl. itself)', String(packages), '', '', ''],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`runs: ${runs}, node ${process.version}`);
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
