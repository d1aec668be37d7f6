import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { AdvisorAnswers } from '../core/answers.js';
import { generatablePatterns } from '../core/compat.js';
import { EXIT, UserError } from '../core/errors.js';
import { CHECK_CATEGORIES, isOneOf, PATTERN_IDS, type CheckCategory } from '../core/ids.js';
import { PATTERNS } from '../core/patterns.js';
import { recommend } from '../core/recommend.js';
import { ask } from '../steps/ask.js';
import { formatPattern, formatRecommendation } from '../steps/present.js';
import { REPORT_FORMATS, type ReportFormat } from '../verify/formats.js';
import { addAdvisorFlags, addProjectFlags, parseFlags } from './flags.js';
import { canPrompt, chalkFor, colorEnabled, inquirerPrompter, noPrompter, packageVersion } from './io.js';
import { runCli } from './run.js';
import { runFromCommand } from './wizard.js';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function parseHeader(value: string, previous: Record<string, string>): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UserError(`--header ${JSON.stringify(value)}: expected name:value, e.g. --header "Authorization: Bearer <token>".`);
  return { ...previous, [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
}

function parseCategories(value: string, previous: CheckCategory[] = []): CheckCategory[] {
  const list = value.split(',').map((v) => v.trim()).filter(Boolean);
  for (const category of list) {
    if (!isOneOf(CHECK_CATEGORIES, category)) throw new UserError(`--only ${category} is not a checklist category. Use one of: ${CHECK_CATEGORIES.join(', ')}.`);
  }
  return [...previous, ...(list as CheckCategory[])];
}

/** The `mcp-arch` program. Commands report their exit code through `setExit` (verify's verdict). */
export function mcpArchProgram(signal: AbortSignal, setExit: (code: number) => void): Command {
  const program = new Command('mcp-arch')
    .description('Advise on, generate and verify production MCP architectures.')
    .version(packageVersion())
    .exitOverride();

  addAdvisorFlags(
    program
      .command('recommend')
      .description('Recommend a pattern for your answers, with reasons, limitations and the session strategy'),
  ).action(async function (this: Command) {
    const values = this.opts<Record<string, unknown>>();
    const json = values.json === true;
    const parsed = parseFlags(values, process.cwd());
    const interactive = !json && canPrompt(process.stdin, process.stdout, process.env);
    await ask({ answers: parsed.answers, options: {}, interactive, yes: values.yes === true, prompt: interactive ? inquirerPrompter() : noPrompter });
    const answers = parsed.answers as AdvisorAnswers;
    const rec = recommend(answers);
    if (json) print(JSON.stringify({ schemaVersion: 1, answers, ...rec }, null, 2));
    else print(formatRecommendation(rec, chalkFor(colorEnabled(process.stdout, process.env))));
  });

  program
    .command('patterns')
    .description('List the six patterns')
    .option('--json', 'print as JSON')
    .action(function (this: Command) {
      const available = generatablePatterns();
      if (this.opts().json) {
        print(JSON.stringify(PATTERN_IDS.map((id) => ({ ...PATTERNS[id], generated: available.includes(id) })), null, 2));
        return;
      }
      const c = chalkFor(colorEnabled(process.stdout, process.env));
      for (const id of PATTERN_IDS) {
        print(`${c.bold(id.padEnd(14))} ${PATTERNS[id].summary}${available.includes(id) ? '' : c.dim(' (advice only)')}`);
      }
    });

  program
    .command('explain')
    .description('Explain one pattern: diagram, when to use it, limitations, options')
    .argument('<pattern>', `one of ${PATTERN_IDS.join(', ')}`)
    .option('--json', 'print as JSON')
    .action(function (this: Command, id: string) {
      if (!isOneOf(PATTERN_IDS, id)) throw new UserError(`Unknown pattern ${JSON.stringify(id)}. Patterns: ${PATTERN_IDS.join(', ')}.`);
      const generated = generatablePatterns().includes(id);
      if (this.opts().json) print(JSON.stringify({ ...PATTERNS[id], generated }, null, 2));
      else print(formatPattern(PATTERNS[id], chalkFor(colorEnabled(process.stdout, process.env)), generated));
    });

  addProjectFlags(
    program
      .command('generate')
      .description('Generate a project without prompts (same flags as create-mcp-arch)')
      .argument('<dir>', 'directory to create the project in'),
  ).action(async function (this: Command, dir: string) {
    await runFromCommand(this, dir, signal, false);
  });

  program
    .command('verify')
    .description('Check a generated project, a running MCP server (--url), or both against the deployment checklist')
    .argument('[checklist]', 'what to verify: checklist (the default and only suite)')
    .option('--dir <dir>', 'project directory (holds mcp-arch.json; optional with --url)', '.')
    .option('--live', 'also probe a running instance: without --url, verify builds and starts the project (start.build, start.run in mcp-arch.json; needs node >= 22.13 on PATH) on a free loopback port and stops it afterwards')
    .option('--url <url>', 'probe the MCP server running at this base URL (the endpoint is <url>/mcp unless the URL has a path)')
    .option('--header <name:value>', 'header sent with every probe, e.g. "Authorization: Bearer <token>" (repeatable)', parseHeader, {})
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('pretty'))
    .option('--only <category>', `only these categories (${CHECK_CATEGORIES.join(', ')}); repeatable or comma-separated`, parseCategories)
    .option('--baseline <file>', 'accepted failures: {"schemaVersion":1,"accepted":[{"check","reason"}]}; default mcp-arch.baseline.json in the project when present. An entry whose check now passes fails the run (remove it)')
    .addOption(new Option('--fail-on <severity>', 'fail only on failures of this severity or above').choices(SEVERITIES).default('low'))
    .action(async function (this: Command, suite: string | undefined) {
      if (suite !== undefined && suite !== 'checklist') throw new UserError(`Unknown suite ${JSON.stringify(suite)}: the suite is "checklist".`);
      const opts = this.opts<{ dir: string; live?: boolean; url?: string; header: Record<string, string>; format: ReportFormat; only?: CheckCategory[]; failOn: (typeof SEVERITIES)[number]; baseline?: string }>();
      if (opts.url === undefined && !opts.live && Object.keys(opts.header).length > 0) {
        throw new UserError('--header is sent with live probes only: pass --url <http://host:port> or --live too, or drop --header.');
      }
      // The checks load only when verify runs, so the other commands start fast.
      const { applyBaseline, exitCodeFor, formatReport, resolveBaseline, verify } = await import('../verify/index.js');
      // Read before anything runs, so a bad baseline is a usage error, not a wasted live run.
      const baseline = await resolveBaseline(opts.baseline, resolve(opts.dir));
      const checked = await verify({ dir: resolve(opts.dir), only: opts.only, live: opts.live === true, url: opts.url, headers: opts.header, signal });
      const report = baseline ? applyBaseline(checked, baseline) : checked;
      print(formatReport(report, opts.format, { color: opts.format === 'pretty' && colorEnabled(process.stdout, process.env) }));
      setExit(exitCodeFor(report, { failOn: opts.failOn }));
    });

  return program;
}

await runCli(async (signal) => {
  let code: number = EXIT.ok;
  const program = mcpArchProgram(signal, (exitCode) => (code = exitCode));
  if (process.argv.length <= 2) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  await program.parseAsync(process.argv);
  return code;
});
