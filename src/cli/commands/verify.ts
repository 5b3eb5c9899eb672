import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, DEFAULT_REPORTS_DIR } from '../environment.ts';
import { parseShard } from '../shard.ts';
import { runVerification } from '../verification.ts';

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description(
      'Verify converted models against the PyTorch reference: golden directories, fixture files (recorded on the fly ' +
        'into a temporary golden when torch is present) or one suite file (.json). Exit 0 pass, 1 a check failed, 2 bad input.',
    )
    .argument('[inputs...]', 'golden dirs, fixture files (.py) and/or a suite (.json); default: suites/default.json')
    .option('--targets <list>', 'comma-separated targets (default: the suite\'s)')
    .option('--seeds <list>', 'comma-separated seeds (default: every recorded seed)')
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .option('--report <dir>', 'reports root directory', DEFAULT_REPORTS_DIR)
    .option('--allow-skip <list>', 'comma-separated targets whose skipped rows are accepted; otherwise a skipped target, or a run that judged nothing, fails (see docs/verdict.md)')
    .option('--artifacts <dir>', 'verify the files that will ship (the output of `torchport convert`: DIR/keras/, DIR/*.tflite) instead of converting afresh')
    .option('--update', 'accept this run\'s error levels and model sizes as the goldens\' new baseline (drift ratchet); refused under CI', false)
    .option('--shard <i/n>', 'verify only the i-th of n slices of the models (CI job matrices); merge the pieces with `torchport report --merge`')
    .option('--json', 'print the report as JSON instead of the table', false)
    .action(async (inputs: string[], options: { targets?: string; allowSkip?: string; seeds?: string; golden: string; report: string; artifacts?: string; shard?: string; update: boolean; json: boolean }) => {
      await runVerification(ctx, {
        inputs,
        goldenRoot: resolve(ctx.cwd, options.golden),
        reportRoot: resolve(ctx.cwd, options.report),
        ...(options.targets ? { targets: options.targets } : {}),
        ...(options.allowSkip ? { allowSkip: options.allowSkip } : {}),
        ...(options.seeds ? { seeds: options.seeds } : {}),
        ...(options.artifacts ? { artifactsDir: resolve(ctx.cwd, options.artifacts) } : {}),
        ...(options.shard ? { shard: parseShard(options.shard) } : {}),
        update: options.update,
        json: options.json,
        recordIntoGoldenRoot: false,
      });
    });
}
