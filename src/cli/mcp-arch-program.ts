import { Command, Option } from 'commander';
import type { AdvisorAnswers } from '../core/answers.js';
import { EXIT, UserError } from '../core/errors.js';
import { resolve } from 'node:path';
import { CHECK_CATEGORIES, isOneOf, PATTERN_IDS, STORE_IDS } from '../core/ids.js';
import { CONFLICT_STYLES, FEATURES as EVOLVE_FEATURES } from '../evolve/ids.js';
import type { Evolution } from '../evolve/index.js';
import { REPORT_FORMATS, SEVERITIES, VERIFY_CONFIG_FILE, type ReportFormat } from '../verify/formats.js';
import { addAdvisorFlags, addProjectFlags, parseFlags } from './flags.js';
import {
  canPrompt,
  chalkFor,
  colorEnabled,
  inquirerPrompter,
  noPrompter,
  packageVersion,
  printLine,
  type CliIo,
} from './io.js';
import type { CliMain } from './run.js';

// What a command needs beyond parsing is imported when it runs, so `--help` and usage errors
// load little more than commander.
const advice = () =>
  Promise.all([import('../core/recommend.js'), import('../steps/ask.js'), import('../steps/present.js')]);
const catalog = () =>
  Promise.all([import('../core/patterns.js'), import('../core/compat.js'), import('../steps/present.js')]);

/** Collects a repeatable flag's values in order. */
function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/**
 * The `mcp-arch` program. Commands report their exit code through `setExit` (verify's verdict).
 * Only the command named by `wanted` (all of them when it is undefined) gets its options: the
 * others are shown in the top-level help by name and description alone, and never run.
 */
export function mcpArchProgram(
  signal: AbortSignal,
  setExit: (code: number) => void,
  io: CliIo,
  wanted?: string,
): Command {
  const full = (name: string) => wanted === undefined || wanted === name;
  const print = (text: string) => printLine(io.stdout, text);
  const colorOut = () => colorEnabled(io.stdout, io.env);
  const program = new Command('mcp-arch')
    .description('Advise on, generate and verify production MCP architectures.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  const recommendCommand = program
    .command('recommend')
    .description('Recommend a pattern for your answers, with reasons, limitations and the session strategy');
  if (full('recommend'))
    addAdvisorFlags(recommendCommand).option(
      '--dir <dir>',
      'a generated project (holds mcp-arch.json; default: the current folder when it does): its answers are the starting point, and the advice says when to migrate it',
    );
  recommendCommand.action(async function (this: Command) {
    const [{ recommend }, { ask }, { formatRecommendation }] = await advice();
    const { answersFor, formatMigrationHint, migrationHint, projectHere } = await import('../evolve/advice.js');
    const values = this.opts<Record<string, unknown>>();
    const json = values.json === true;
    const parsed = parseFlags(values, io.cwd);
    const project = await projectHere(typeof values.dir === 'string' ? resolve(io.cwd, values.dir) : undefined, io.cwd);
    const interactive = !json && values.yes !== true && canPrompt(io.stdin, io.stdout, io.env);
    const asked: Parameters<typeof ask>[0] = {
      answers: answersFor(project, parsed.answers),
      options: {},
      interactive,
      yes: values.yes === true,
      prompt: interactive ? inquirerPrompter() : noPrompter,
    };
    await ask(asked);
    const answers = asked.answers as AdvisorAnswers;
    const rec = recommend(answers, asked.assumed);
    const hint = project && migrationHint(rec, project.options);
    if (json)
      print(
        JSON.stringify(
          {
            schemaVersion: 1,
            answers,
            ...rec,
            // Inside a generated project: the migration the advice calls for, null when it fits.
            ...(project ? { migrate: hint ?? null } : {}),
          },
          null,
          2,
        ),
      );
    else {
      print(formatRecommendation(rec, chalkFor(colorOut())));
      if (project) print(`\n${formatMigrationHint(project, hint)}`);
    }
  });

  program
    .command('patterns')
    .description('List the patterns, and which this version generates')
    .option('--json', 'print as JSON')
    .action(async function (this: Command) {
      const [{ PATTERNS }, { generatablePatterns }] = await catalog();
      const available = generatablePatterns();
      if (this.opts().json) {
        print(
          JSON.stringify(
            PATTERN_IDS.map((id) => ({ ...PATTERNS[id], generated: available.includes(id) })),
            null,
            2,
          ),
        );
        return;
      }
      const c = chalkFor(colorOut());
      for (const id of PATTERN_IDS) {
        print(
          `${c.bold(id.padEnd(14))} ${PATTERNS[id].summary}${available.includes(id) ? '' : c.dim(' (advice only)')}`,
        );
      }
    });

  program
    .command('explain')
    .description('Explain one pattern: diagram, when to use it, limitations, options')
    .argument('<pattern>', `one of ${PATTERN_IDS.join(', ')}`)
    .option('--json', 'print as JSON')
    .action(async function (this: Command, id: string) {
      const [{ PATTERNS }, { generatablePatterns }, { formatPattern }] = await catalog();
      if (!isOneOf(PATTERN_IDS, id))
        throw new UserError(`Unknown pattern ${JSON.stringify(id)}. Patterns: ${PATTERN_IDS.join(', ')}.`);
      const generated = generatablePatterns().includes(id);
      if (this.opts().json) print(JSON.stringify({ ...PATTERNS[id], generated }, null, 2));
      else print(formatPattern(PATTERNS[id], chalkFor(colorOut()), generated));
    });

  const generateCommand = program
    .command('generate')
    .description('Generate a project without prompts (same flags as create-mcp-arch)')
    .argument('<dir>', 'directory to create the project in');
  if (full('generate')) addProjectFlags(generateCommand);
  generateCommand.action(async function (this: Command, dir: string) {
    const { runFromCommand } = await import('./wizard.js');
    await runFromCommand(this, dir, signal, false, io);
  });

  const verifyCommand = program
    .command('verify')
    .description('Check a generated project, a running MCP server (--url), or both against the deployment checklist')
    .argument('[checklist]', 'what to verify: checklist (the default and only suite)');
  if (full('verify')) addVerifyFlags(verifyCommand);
  verifyCommand.action(async function (this: Command, suite: string | undefined) {
    const opts = this.opts<{
      dir: string;
      live?: boolean;
      url?: string;
      replica?: string[];
      header?: string[];
      format: ReportFormat;
      json?: boolean;
      only?: string[];
      failOn?: string;
      failUnder?: string;
      config?: string;
      baseline?: string;
      report?: string[];
    }>();
    // Every usage error is found before the checks load or anything starts.
    const { parseVerifyOptions } = await import('../verify/options.js');
    const target = parseVerifyOptions({
      suite,
      dir: opts.dir,
      cwd: io.cwd,
      only: opts.only,
      live: opts.live,
      url: opts.url,
      replicas: opts.replica,
      headers: opts.header,
      // Only a format the user typed can clash with --json; the default cannot.
      format: this.getOptionValueSource('format') === 'default' ? undefined : opts.format,
      json: opts.json,
      failOn: opts.failOn,
      failUnder: opts.failUnder,
      config: opts.config,
      reports: opts.report,
    });
    const { assertWritable, writeReport } = await import('../verify/report-files.js');
    for (const file of target.reports ?? []) await assertWritable(file.file);
    // The checks load only when verify runs, so the other commands start fast.
    const verifying = await import('../verify/index.js');
    // Read before anything runs, so a bad baseline or config is a usage error, not a wasted live run.
    const baseline = await verifying.resolveBaseline(opts.baseline, target.dir);
    const config = await verifying.resolveVerifyConfig(target.config, target.dir);
    // A check the config turns off does not run at all.
    const off = verifying.checksOff(config);
    const checks = off.size > 0 ? verifying.CHECKS.filter((check) => !off.has(check.item.id)) : undefined;
    const checked = await verifying.verify({ ...target, env: io.env, signal, ...(checks ? { checks } : {}) });
    let report = config ? verifying.applyVerifyConfig(checked, config) : checked;
    if (baseline) report = verifying.applyBaseline(report, baseline);
    // Flags win over the config file.
    const failUnder = target.failUnder ?? config?.failUnder;
    if (failUnder !== undefined)
      report = verifying.applyFailUnder(
        report,
        failUnder,
        target.failUnder === undefined ? (config?.file ?? '') : '--fail-under',
      );
    // The topology needs the blueprint, which only the HTML report draws.
    const formats = [target.format, ...(target.reports ?? []).map((file) => file.format)];
    const diagram =
      formats.includes('html') && report.mode.static
        ? (await import('../verify/topology.js')).projectMermaid(await verifying.loadManifest(target.dir))
        : undefined;
    for (const file of target.reports ?? []) {
      await writeReport(
        file.file,
        verifying.formatReport(report, file.format, { color: false, ...(diagram === undefined ? {} : { diagram }) }),
      );
    }
    print(
      verifying.formatReport(report, target.format, {
        color: target.format === 'pretty' && colorOut(),
        ...(diagram === undefined ? {} : { diagram }),
      }),
    );
    setExit(verifying.exitCodeFor(report, { failOn: target.failOn ?? config?.failOn ?? 'low' }));
  });

  const evolveAction = (command: Command, evolution: (opts: Record<string, unknown>) => Evolution) =>
    command.action(async function (this: Command) {
      const opts = this.opts<Record<string, unknown>>();
      const { evolve } = await import('../evolve/index.js');
      const json = opts.json === true;
      const interactive = !json && canPrompt(io.stdin, io.stdout, io.env);
      const output = { out: print, info: (text: string) => printLine(json ? io.stderr : io.stdout, text) };
      const code = await evolve(
        evolution(opts),
        {
          dir: resolve(io.cwd, typeof opts.dir === 'string' ? opts.dir : '.'),
          dryRun: opts.dryRun === true,
          diff: opts.diff === true,
          conflict: opts.conflict === 'rej' ? 'rej' : 'markers',
          allowDirty: opts.allowDirty === true,
          yes: opts.yes === true,
          json,
          from: typeof opts.from === 'string' ? resolve(io.cwd, opts.from) : undefined,
        },
        {
          ...output,
          confirm: interactive ? (message) => inquirerPrompter().confirm({ message, default: true }) : undefined,
          signal,
        },
      );
      setExit(code);
    });

  const addCommand = program
    .command('add')
    .description(
      'Add a store, deploy target, auth mode, protocol posture, deployed tracing, backend or region to a generated project',
    )
    .argument('<feature>', `one of ${EVOLVE_FEATURES.join(', ')}`)
    .argument('[value]', 'the store, target, mode or posture id; or the backend or region name (tracing takes none)');
  if (full('add'))
    addEvolveFlags(addCommand)
      .option('--url <url>', 'backend: its MCP endpoint over HTTP; region: its MCP URL')
      .option('--command <cmd>', 'backend: the command that starts it over stdio')
      .option('--arg <arg>', 'backend: an argument of --command (repeatable)', collect);
  evolveAction(addCommand, (opts) => {
    const [feature, value] = addCommand.processedArgs as [string, string | undefined];
    const backend = {
      ...(typeof opts.url === 'string' ? { url: opts.url } : {}),
      ...(typeof opts.command === 'string' ? { command: opts.command } : {}),
      ...(Array.isArray(opts.arg) ? { args: opts.arg as string[] } : {}),
    };
    return { command: 'add', feature, ...(value === undefined ? {} : { value }), backend };
  });

  const migrateCommand = program
    .command('migrate')
    .description('Move a generated project to another pattern, carrying your tools and edits over');
  if (full('migrate'))
    addEvolveFlags(migrateCommand)
      .addOption(new Option('--pattern <id>', 'the pattern to move to').choices(PATTERN_IDS).makeOptionMandatory())
      .addOption(new Option('--store <id>', 'the store to use there (default: the current one)').choices(STORE_IDS));
  evolveAction(migrateCommand, (opts) => ({
    command: 'migrate',
    pattern: String(opts.pattern),
    ...(typeof opts.store === 'string' ? { store: opts.store } : {}),
  }));

  const upgradeCommand = program
    .command('upgrade')
    .description("Bring a generated project to this version's templates and pins, merging your edits");
  if (full('upgrade')) addEvolveFlags(upgradeCommand);
  evolveAction(upgradeCommand, () => ({ command: 'upgrade' }));

  const checkCommand = program
    .command('check-update')
    .description('Exit 1 when this version would change the project (for CI); writes nothing');
  if (full('check-update'))
    checkCommand
      .option('--dir <dir>', 'project directory (holds mcp-arch.json)', '.')
      .option('--json', 'print the result as JSON on stdout')
      .option('--from <dir>', FROM_HELP);
  evolveAction(checkCommand, () => ({ command: 'check-update' }));

  return program;
}

const FROM_HELP =
  'the create-mcp-arch that made the project (a checkout or installed package), when it is neither this one nor the node_modules/create-mcp-arch of the project';

function addEvolveFlags(command: Command): Command {
  return command
    .option('--dir <dir>', 'project directory (holds mcp-arch.json)', '.')
    .option('--dry-run', 'show what would change and write nothing')
    .option('--diff', 'print the changes as a unified diff')
    .addOption(
      new Option('--conflict <style>', 'write conflicts as markers in the file or as .rej files beside it')
        .choices(CONFLICT_STYLES)
        .default('markers'),
    )
    .option('--allow-dirty', 'run on a git tree with uncommitted changes')
    .option('-y, --yes', 'apply without asking')
    .option('--json', 'print the result as JSON on stdout')
    .option('--from <dir>', FROM_HELP);
}

function addVerifyFlags(command: Command): Command {
  return command
    .option('--dir <dir>', 'project directory (holds mcp-arch.json; optional with --url)', '.')
    .option(
      '--live',
      'also probe a running instance: without --url, verify builds and starts the project (start.build, start.run in mcp-arch.json; needs node >= 22.13 on PATH) on a free loopback port and stops it afterwards',
    )
    .option(
      '--url <url>',
      'probe the MCP server running at this base URL (the endpoint is <url>/mcp unless the URL has a path)',
    )
    .option(
      '--replica <url>',
      'a replica behind the --url load balancer, reached directly: one session must work on every replica, and DELETE on one must end it on all (repeatable)',
      collect,
    )
    .option(
      '--header <name:value>',
      'header sent with every probe, e.g. "Authorization: Bearer <token>" (repeatable)',
      collect,
    )
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('pretty'))
    .option('--json', 'print the report as JSON (the same as --format json)')
    .option(
      '--only <category>',
      `only these categories (${CHECK_CATEGORIES.join(', ')}); repeatable or comma-separated`,
      collect,
    )
    .option(
      '--baseline <file>',
      'accepted failures: {"schemaVersion":1,"accepted":[{"check","reason"}]}; default mcp-arch.baseline.json in the project when present. An entry whose check now passes fails the run (remove it)',
    )
    .addOption(
      new Option(
        '--fail-on <severity>',
        'fail only on failures of this severity or above (default: failOn in the config file, else low)',
      ).choices(SEVERITIES),
    )
    .option(
      '--fail-under <score>',
      'also fail when the overall score (0-100: pass counts fully, warn half, fail nothing) is below this (default: failUnder in the config file)',
    )
    .option(
      '--report <format=file>',
      `also write the report to a file in a format (${REPORT_FORMATS.join(', ')}), e.g. --report sarif=verify.sarif; repeatable, one run for every format`,
      collect,
    )
    .option(
      '--config <file>',
      `verify settings: {"schemaVersion":1,"checks":{"<check id>":{"severity":"low"} or {"off":"<reason>"}},"failOn","failUnder"}; default ${VERIFY_CONFIG_FILE} in the project when present. Flags win over it`,
    );
}

/** `mcp-arch <argv>` as a program: parses, runs the command, answers with its exit code. */
export function mcpArchMain(argv: readonly string[]): CliMain {
  return async (signal, io) => {
    let code: number = EXIT.ok;
    const wanted = argv[0] === 'help' ? argv[1] : argv[0];
    const program = mcpArchProgram(signal, (exitCode) => (code = exitCode), io, wanted ?? '');
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  };
}
