import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.ts';
import type { LayoutChoice, ModelFile } from '../../harness/index.ts';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, DEFAULT_REPORTS_DIR } from '../environment.ts';
import { parseShard } from '../shard.ts';
import { runVerification } from '../verification.ts';

/** --layout, shared by `verify` and `bench`. */
export function layoutOption(): Option {
  return new Option('--layout <layout>', "with --tflite / --keras: the file's layout for every tensor of rank >= 3 when its shapes fit both").choices(['channels-first', 'channels-last']);
}

/** The --tflite / --keras files of a command line. */
export function modelFilesOf(ctx: CliContext, options: { tflite?: string[]; keras?: string[]; layout?: LayoutChoice }): ModelFile[] {
  const files: ModelFile[] = (['tflite', 'keras'] as const).flatMap((kind) =>
    (options[kind] ?? []).map((path) => ({ kind, path: resolve(ctx.cwd, path), ...(options.layout ? { layout: options.layout } : {}) })),
  );
  if (options.layout && files.length === 0) throw new UsageError('--layout applies to --tflite / --keras files');
  return files;
}

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description(
      'Verify converted models against the PyTorch reference: golden directories, fixture files (recorded on the fly ' +
        'into a temporary golden when torch is present) or one suite file (.json). Exit 0 pass, 1 a check failed, 2 bad input.',
    )
    .argument('[inputs...]', 'golden dirs, fixture files (.py) and/or a suite (.json); default: suites/default.json')
    .option('--targets <list>', "comma-separated targets (default: the suite's)")
    .option('--seeds <list>', 'comma-separated seeds (default: every recorded seed)')
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .option('--report <dir>', 'reports root directory', DEFAULT_REPORTS_DIR)
    .option('--allow-skip <list>', 'comma-separated targets whose skipped rows are accepted; otherwise a skipped target, or a run that judged nothing, fails (see docs/verdict.md)')
    .option('--artifacts <dir>', 'verify the files that will ship (the output of `torchport convert`: DIR/keras/, DIR/*.tflite) instead of converting afresh')
    .option('--update', "accept this run's error levels and model sizes as the goldens' new baseline (drift ratchet); refused under CI", false)
    .option('--shard <i/n>', 'verify only the i-th of n slices of the models (CI job matrices); merge the pieces with `torchport report --merge`')
    .option(
      '--tflite <files...>',
      'verify these .tflite files (from any converter) against the golden, in LiteRT.js and the native interpreter (targets file-tflite[-native]-<variant>); inputs and outputs are matched by name, position or shape and layout',
    )
    .option('--keras <files...>', 'verify this Keras model (.h5, .keras or TF.js model.json, from any converter) against the golden, in TF.js and/or real Keras 3 (targets file-keras, file-keras-py)')
    .addOption(layoutOption())
    .option('--json', 'print the report as JSON instead of the table', false)
    .action(
      async (
        inputs: string[],
        options: {
          targets?: string;
          allowSkip?: string;
          seeds?: string;
          golden: string;
          report: string;
          artifacts?: string;
          shard?: string;
          update: boolean;
          json: boolean;
          tflite?: string[];
          keras?: string[];
          layout?: LayoutChoice;
        },
      ) => {
        const files = modelFilesOf(ctx, options);
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
          ...(files.length ? { files } : {}),
        });
      },
    );
}
