import { Command } from 'commander';
import { addProjectFlags } from './flags.js';
import { packageVersion, type CliIo } from './io.js';
import type { CliMain } from './run.js';
import { runFromCommand } from './wizard.js';

/** `create-mcp-arch [dir]`: the wizard. */
export function createProgram(io: CliIo): Command {
  const program = new Command('create-mcp-arch')
    .description(
      'Answer a few questions, get a recommended MCP architecture with its reasons, and a generated project that runs, is tested and is production-ready.',
    )
    .version(packageVersion())
    .argument('[dir]', 'directory to create the project in')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  addProjectFlags(program);
  program.addHelpText(
    'after',
    '\nExamples:\n  npx create-mcp-arch my-app\n  npx create-mcp-arch my-app --pattern single --yes --no-install\n  npx create-mcp-arch my-app --answers answers.json --dry-run --json\n',
  );
  return program;
}

/** `create-mcp-arch <argv>` as a program. */
export function createMain(argv: readonly string[]): CliMain {
  return async (signal, io) => {
    const program = createProgram(io);
    program.action(async (dir: string | undefined) => runFromCommand(program, dir, signal, true, io));
    await program.parseAsync([...argv], { from: 'user' });
  };
}
