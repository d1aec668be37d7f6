import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { expect } from 'vitest';
import { run } from '../cli/run-bin.js';
import { envWithNode } from './node-runtime.js';

/**
 * Generates a project with the real CLI (`mcp-arch generate <name> <args> --yes`) in `work` and
 * installs its dependencies with the given Node, as a user would; returns the project directory.
 */
export async function generateInstalled(work: string, name: string, args: string[], nodeBin: string): Promise<string> {
  const generated = await run('mcpArch', ['generate', name, ...args, '--yes', '--no-install', '--no-git'], { cwd: work });
  expect(generated.exitCode, generated.stderr).toBe(0);
  const dir = join(work, name);
  await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: envWithNode(nodeBin), stdin: 'ignore' });
  return dir;
}

/** Runs `npm <args>` in a generated project with the given Node; unless it exits 0 the test fails, showing the end of its output. Returns stdout without colours. */
export async function npmOk(dir: string, args: string[], nodeBin: string, env: Record<string, string> = {}): Promise<string> {
  const result = await execa('npm', args, { cwd: dir, env: envWithNode(nodeBin, env), reject: false, stdin: 'ignore' });
  const stdout = stripVTControlCharacters(result.stdout);
  expect(result.exitCode, stdout.slice(-6000) + result.stderr.slice(-2000)).toBe(0);
  return stdout;
}

/** Vitest's JSON report, the parts the tests read. */
export interface VitestReport {
  numFailedTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string; failureMessages?: string[] }> }>;
}

/**
 * Runs a generated project's own suite (`npm test`) with the given Node and a JSON report. Unless
 * it exits 0 the test fails, naming the failed cases with their messages (or showing the end of
 * the output when there is no report). Returns stdout without colours and the report.
 */
export async function ownTests(dir: string, nodeBin: string, env: Record<string, string> = {}): Promise<{ stdout: string; report: VitestReport }> {
  const reportDir = mkdtempSync(join(tmpdir(), 'vitest-report-'));
  const reportFile = join(reportDir, 'report.json');
  try {
    const result = await execa('npm', ['test', '--', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`], {
      cwd: dir,
      env: envWithNode(nodeBin, env),
      reject: false,
      stdin: 'ignore',
    });
    const report: VitestReport = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : { numFailedTests: -1, testResults: [] };
    const failures = report.testResults.flatMap((file) =>
      file.assertionResults.filter((c) => c.status === 'failed').map((c) => `${c.title}: ${(c.failureMessages ?? []).join('\n').slice(0, 3000)}`),
    );
    expect(result.exitCode, failures.join('\n\n') || result.stdout.slice(-4000) + result.stderr.slice(-2000)).toBe(0);
    return { stdout: stripVTControlCharacters(result.stdout), report };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}
