import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, readConfig, type TorchportConfig } from '../config/index.ts';
import { describeError, isTorchportError } from '../errors.ts';
import { printError, type CliContext } from './context.ts';
import { registerBench } from './commands/bench.ts';
import { registerConvert } from './commands/convert.ts';
import { registerGolden } from './commands/golden.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';
import { registerVerify } from './commands/verify.ts';
import { registerTransfer } from './commands/transfer.ts';

const EXIT = { ok: 0, checkFailed: 1, badInput: 2 } as const;

/** The package's version; src/cli and dist/cli sit at the same depth under the package root. */
export function torchportVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function buildProgram(ctx: CliContext): Command {
  const program = new Command('torchport')
    .description('Port PyTorch models to Keras and TFLite and prove the ports compute the same thing.')
    .version(torchportVersion(), '-V, --version', 'print the version of torchport')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  registerGolden(program, ctx);
  registerRun(program, ctx);
  registerConvert(program, ctx);
  registerVerify(program, ctx);
  registerReport(program, ctx);
  registerTransfer(program, ctx);
  registerInspect(program, ctx);
  registerBench(program, ctx);
  // Every subcommand inherits the same output and exit behaviour.
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput({ writeOut: (t) => ctx.stdout.write(t), writeErr: (t) => ctx.stderr.write(t) });
  }
  return program;
}

function* allCommands(command: Command): Generator<Command> {
  for (const sub of command.commands) {
    yield sub;
    yield* allCommands(sub);
  }
}

/** Runs the CLI on `argv` (without node and script) and returns the process exit code. */
export async function main(argv: readonly string[], io: Partial<CliContext> = {}): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  let config: TorchportConfig;
  try {
    config = io.config ?? readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`torchport: ${error.message} [${error.code}]\n`);
    return error.exitCode;
  }
  const ctx: CliContext = { stdout: io.stdout ?? process.stdout, stderr, cwd: io.cwd ?? process.cwd(), env, config, exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; anything else commander rejects is usage.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.ok : EXIT.badInput;
    }
    if (isTorchportError(error)) {
      printError(ctx, `torchport: ${error.message} [${error.code}]`);
      return error.exitCode;
    }
    printError(ctx, `torchport: internal error: ${describeError(error)}`);
    if (error instanceof Error && error.stack) printError(ctx, error.stack);
    // Never 1: that says "a check ran and failed", and an internal error proves nothing either way.
    return EXIT.badInput;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
