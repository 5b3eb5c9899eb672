import type { Command } from 'commander';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../errors.ts';
import { judgeRun, loadSuite, resolveDefaultSuite, mergeReports, parseRunRecord, type RunReport } from '../../harness/index.ts';
import { renderMarkdown, summaryTable, writeReports } from '../../report/index.ts';
import { print, type CliContext } from '../context.ts';
import { availableTargetNames } from '../targets.ts';

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description("Re-judge a recorded run (run.json and its outputs) with a suite's tolerances without running anything again, or merge report pieces (sharded parity tests).")
    .option('--from <run.json>', 'the run record written beside a report (reports/<run id>/run.json)')
    .option('--merge <dir>', 'merge every report JSON in a directory (e.g. reports/vitest from sharded parity tests) into one report')
    .option('--suite <suite.json>', 'tolerances to judge by (default: suites/default.json, else the built-in defaults)')
    .option('--out <dir>', 'where to write the reports (default: beside run.json)')
    .option('--json', 'print the report as JSON instead of the table', false)
    .option('--markdown', 'print report.md (verdict, failures, the full table folded) instead of the table: for $GITHUB_STEP_SUMMARY or a PR comment', false)
    .action(async (options: { from?: string; merge?: string; suite?: string; out?: string; json: boolean; markdown: boolean }) => {
      if (options.json && options.markdown) throw new UsageError('give at most one of --json and --markdown');
      const show = (report: RunReport, footer = ''): void =>
        print(ctx, options.json ? JSON.stringify(report, null, 2) : options.markdown ? renderMarkdown(report) : `${summaryTable(report)}${footer}`);
      if (Boolean(options.from) === Boolean(options.merge)) throw new UsageError('give exactly one of --from <run.json> or --merge <dir>');
      if (options.merge) {
        const dir = resolve(ctx.cwd, options.merge);
        // Numeric order, so report-10.json follows report-9.json: shards merged in order list
        // models in the order of one unsharded run.
        const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
        if (files.length === 0) throw new UsageError(`--merge ${options.merge}: no report JSON files there`);
        const reports = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as RunReport));
        const merged = mergeReports(reports.filter((r) => r.format === 'torchport-report'));
        const out = options.out ? resolve(ctx.cwd, options.out) : join(dir, 'merged');
        await writeReports(merged, out);
        show(merged, `\nmerged ${files.length} reports into ${out}`);
        if (!merged.summary.pass) ctx.exitCode = 1;
        return;
      }
      const path = resolve(ctx.cwd, options.from!);
      const text = await readFile(path, 'utf8').catch((error: Error) => {
        throw new UsageError(`--from ${options.from}: ${error.message}`);
      });
      const record = parseRunRecord(text, path);
      const suite = options.suite ? await loadSuite(resolve(ctx.cwd, options.suite)) : await resolveDefaultSuite(ctx.cwd, availableTargetNames());
      const report = await judgeRun(record, dirname(path), suite);
      await writeReports(report, options.out ? resolve(ctx.cwd, options.out) : dirname(path));
      show(report);
      if (!report.summary.pass) ctx.exitCode = 1;
    });
}
