import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, DEFAULT_REPORTS_DIR } from '../environment.ts';
import { runVerification } from '../verification.ts';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description(
      'The main job: the default suite (suites/default.json) end to end. Records missing goldens of bundled fixtures ' +
        '(never under CI), verifies them, runs every target against the PyTorch reference, prints a summary and writes ' +
        'reports/latest/ (report.json, report.md, report.html, junit.xml).',
    )
    .argument('[fixtures...]', "fixture files (default: the suite's fixtures, every suites/fixtures/*.py)")
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .option('--report <dir>', 'reports root directory', DEFAULT_REPORTS_DIR)
    .option('--targets <list>', "comma-separated targets (default: the suite's)")
    .option('--allow-skip <list>', 'comma-separated targets whose skipped rows are accepted; otherwise a skipped target, or a run that judged nothing, fails (see docs/verdict.md)')
    .option('--json', 'print the report as JSON instead of the table', false)
    .action(async (fixtures: string[], options: { golden: string; report: string; targets?: string; allowSkip?: string; json: boolean }) => {
      for (const f of fixtures) if (!f.endsWith('.py')) throw new UsageError(`${f}: a fixture is a Python file (.py); see docs/fixtures.md`);
      await runVerification(ctx, {
        inputs: fixtures,
        goldenRoot: resolve(ctx.cwd, options.golden),
        reportRoot: resolve(ctx.cwd, options.report),
        ...(options.targets ? { targets: options.targets } : {}),
        ...(options.allowSkip ? { allowSkip: options.allowSkip } : {}),
        update: false,
        json: options.json,
        recordIntoGoldenRoot: true,
      });
    });
}
