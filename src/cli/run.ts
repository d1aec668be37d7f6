import { CommanderError } from 'commander';
import { EXIT, UserError } from '../core/errors.js';
import { chalkFor, colorEnabled, processIo, type CliIo } from './io.js';

/** A CLI program: runs with the given io until done or aborted, and answers with an exit code. */
export type CliMain = (signal: AbortSignal, io: CliIo) => Promise<number | void>;

/** Prompt libraries signal Ctrl-C with an error of this name. */
function isPromptExit(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}

/**
 * Runs a CLI program and turns what it throws into an exit code, without exiting: user errors
 * print their message; anything else is a bug and prints its stack. Tests call this in-process.
 */
export async function execute(
  main: CliMain,
  io: CliIo,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const red = chalkFor(colorEnabled(io.stderr, io.env)).red;
  try {
    const code = (await main(signal, io)) ?? EXIT.ok;
    return signal.aborted ? EXIT.interrupted : code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (isPromptExit(error)) {
      // Prompts all come before the write step.
      io.stderr.write(`\n${red('Interrupted: nothing was written.')}\n`);
      return EXIT.interrupted;
    }
    if (signal.aborted && !(error instanceof UserError)) {
      io.stderr.write(`\n${red('Interrupted.')}\n`);
      return EXIT.interrupted;
    }
    if (error instanceof UserError) {
      io.stderr.write(`${red('Error:')} ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(
      `${red('Unexpected error (please report it):')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  }
}

/** The bins' entry: runs a program against the real process, then exits. The only place that exits. */
export async function runCli(main: CliMain): Promise<never> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const code = await execute(main, processIo(), controller.signal);
  process.off('SIGINT', onSigint);
  // Let stdout drain before exiting so piped JSON is never cut short.
  await new Promise<void>((resolve) =>
    process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve(),
  );
  process.exit(code);
}
