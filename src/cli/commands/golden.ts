import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerGolden(program: Command, _ctx: CliContext): void {
  program.command('golden').description('Record, verify and list golden fixtures (golden/<name>/).');
}
