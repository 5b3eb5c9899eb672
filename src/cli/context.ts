import type { TorchportConfig } from '../config/index.ts';

/** What a command needs from the outside world; tests pass their own streams. */
export interface CliContext {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly cwd: string;
  /** Handed to child processes (Python workers) as their environment. */
  readonly env: NodeJS.ProcessEnv;
  /** The environment parsed once (src/config); commands read settings here, never from env. */
  readonly config: TorchportConfig;
  /** Set by a command: 0 success, 1 a check failed, 2 bad input or usage. */
  exitCode: 0 | 1 | 2;
}

export function print(ctx: CliContext, text = ''): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printError(ctx: CliContext, text: string): void {
  ctx.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}
