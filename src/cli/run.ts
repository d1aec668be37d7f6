import { CommanderError } from 'commander';
import { EXIT, UserError } from '../core/errors.js';
import { chalkFor, colorEnabled } from './io.js';

/** Prompt libraries signal Ctrl-C with an error of this name. */
function isPromptExit(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}

/**
 * Runs a CLI entry and turns what it throws into an exit code: the only place that exits.
 * User errors print their message; anything else is a bug and prints its stack.
 */
export async function runCli(main: (signal: AbortSignal) => Promise<number | void>): Promise<never> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const red = chalkFor(colorEnabled(process.stderr, process.env)).red;
  let code: number;
  try {
    code = (await main(controller.signal)) ?? EXIT.ok;
    if (controller.signal.aborted) code = EXIT.interrupted;
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (isPromptExit(error)) {
      // Prompts all come before the write step.
      process.stderr.write(`\n${red('Interrupted: nothing was written.')}\n`);
      code = EXIT.interrupted;
    } else if (controller.signal.aborted && !(error instanceof UserError)) {
      process.stderr.write(`\n${red('Interrupted.')}\n`);
      code = EXIT.interrupted;
    } else if (error instanceof UserError) {
      process.stderr.write(`${red('Error:')} ${error.message}\n`);
      code = error.exitCode;
    } else {
      process.stderr.write(`${red('Unexpected error (please report it):')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      code = EXIT.failed;
    }
  }
  process.off('SIGINT', onSigint);
  // Let stdout drain before exiting so piped JSON is never cut short.
  await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  process.exit(code);
}
