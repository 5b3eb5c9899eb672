import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerRun(program: Command, _ctx: CliContext): void {
  program.command('run').description('Run every available comparison on the bundled fixtures.');
}
