import type { Command } from 'commander';
import { relative, resolve } from 'node:path';
import { onnxTarget, runFixtures, torchTarget } from '../../harness/index.ts';
import { summaryTable, writeRunReport } from '../../report/index.ts';
import { print, printError, type CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, DEFAULT_REPORTS_DIR, isCI, openBridge, resolveFixtures } from '../environment.ts';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description(
      'The main job: for each fixture, record its golden if missing (never under CI), verify it, run every available ' +
        'target against the PyTorch reference, print a summary and write reports/latest/report.json.',
    )
    .argument('[fixtures...]', 'fixture files (default: every suites/fixtures/*.py)')
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .option('--report <dir>', 'reports root directory', DEFAULT_REPORTS_DIR)
    .option('--json', 'print the report as JSON instead of the table', false)
    .action(async (fixtures: string[], options: { golden: string; report: string; json: boolean }) => {
      const paths = await resolveFixtures(ctx, fixtures);
      const ci = isCI(ctx.env);
      const opened = await openBridge(ctx);
      if (opened.unavailable) printError(ctx, `torch is unavailable, using committed goldens only:\n${opened.unavailable}`);
      try {
        const report = await runFixtures(paths, {
          goldenRoot: resolve(ctx.cwd, options.golden),
          ci,
          bridge: opened.bridge,
          torch: opened.versions,
          torchUnavailable: opened.unavailable,
          targets: [torchTarget(opened.bridge, opened.unavailable ?? undefined), onnxTarget()],
          cwd: ctx.cwd,
          onProgress: (message) => printError(ctx, `... ${message}`),
        });
        const written = await writeRunReport(resolve(ctx.cwd, options.report), report);
        if (options.json) print(ctx, JSON.stringify(report, null, 2));
        else {
          print(ctx, summaryTable(report));
          print(ctx, `report: ${relative(ctx.cwd, written.latestDir)}/report.json`);
        }
        if (!report.summary.pass) ctx.exitCode = 1;
      } finally {
        await opened.bridge?.close();
      }
    });
}
