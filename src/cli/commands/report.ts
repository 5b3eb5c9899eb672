import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../errors.ts';
import { defaultSuite, judgeRun, loadSuite, parseRunRecord } from '../../harness/index.ts';
import { summaryTable, writeReports } from '../../report/index.ts';
import { print, type CliContext } from '../context.ts';
import { availableTargetNames } from '../targets.ts';

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('Re-judge a recorded run (run.json and its outputs) with a suite\'s tolerances, without running anything again.')
    .requiredOption('--from <run.json>', 'the run record written beside a report (reports/<run id>/run.json)')
    .option('--suite <suite.json>', 'tolerances to judge by (default: suites/default.json, else the built-in defaults)')
    .option('--out <dir>', 'where to write the reports (default: beside run.json)')
    .option('--json', 'print the report as JSON instead of the table', false)
    .action(async (options: { from: string; suite?: string; out?: string; json: boolean }) => {
      const path = resolve(ctx.cwd, options.from);
      const text = await readFile(path, 'utf8').catch((error: Error) => {
        throw new UsageError(`--from ${options.from}: ${error.message}`);
      });
      const record = parseRunRecord(text, path);
      const suitePath = options.suite ? resolve(ctx.cwd, options.suite) : join(ctx.cwd, 'suites/default.json');
      const suite = await loadSuite(suitePath).catch((error) => {
        if (options.suite) throw error;
        return defaultSuite(availableTargetNames());
      });
      const report = await judgeRun(record, dirname(path), suite);
      await writeReports(report, options.out ? resolve(ctx.cwd, options.out) : dirname(path));
      print(ctx, options.json ? JSON.stringify(report, null, 2) : summaryTable(report));
      if (!report.summary.pass) ctx.exitCode = 1;
    });
}
