/** Exit codes of the public contract. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  nothingChecked: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the user can act on. Code throws it; only the CLI entry turns it into an exit.
 * `message` says what was wrong and how to fix it (the flag or file to change).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Raised when the user interrupts (Ctrl-C at a prompt, SIGINT). */
export class InterruptedError extends UserError {
  constructor(message = 'Interrupted: nothing was written.') {
    super(message, EXIT.interrupted);
    this.name = 'InterruptedError';
  }
}
