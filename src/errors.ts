/**
 * The base of every error torchport raises on purpose. Each subclass carries a stable `code`
 * (tests and users match on it, never on the message) and the process exit code it maps to:
 * 2 for bad input or usage, 1 for a check that ran and failed.
 */
export abstract class TorchportError extends Error {
  abstract readonly code: string;
  readonly exitCode: 1 | 2 = 2;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A command line that cannot be acted on (unknown flag, missing argument, bad value). */
export class UsageError extends TorchportError {
  readonly code = 'E_USAGE';
}

/** A file a user handed us is missing, unreadable or malformed. */
export class InputFileError extends TorchportError {
  readonly code = 'E_INPUT_FILE';
  constructor(
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}`, options);
  }
}

/** Type guard usable on anything caught. */
export function isTorchportError(error: unknown): error is TorchportError {
  return error instanceof TorchportError;
}

/** The message of anything thrown, for logs and reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
