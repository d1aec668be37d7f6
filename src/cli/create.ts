import { Command } from 'commander';
import { addProjectFlags } from './flags.js';
import { packageVersion } from './io.js';
import { runCli } from './run.js';
import { runFromCommand } from './wizard.js';

/** `create-mcp-arch [dir]`: the wizard. */
export function createProgram(): Command {
  const program = new Command('create-mcp-arch')
    .description('Answer a few questions, get a recommended MCP architecture with its reasons, and a generated project that runs, is tested and is production-ready.')
    .version(packageVersion())
    .argument('[dir]', 'directory to create the project in')
    .exitOverride();
  addProjectFlags(program);
  program.addHelpText('after', '\nExamples:\n  npx create-mcp-arch my-app\n  npx create-mcp-arch my-app --pattern single --yes --no-install\n  npx create-mcp-arch my-app --answers answers.json --dry-run --json\n');
  return program;
}

await runCli(async (signal) => {
  const program = createProgram();
  program.action(async (dir: string | undefined) => runFromCommand(program, dir, signal, true));
  await program.parseAsync(process.argv);
});
