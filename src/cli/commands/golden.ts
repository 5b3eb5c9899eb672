import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.ts';
import { DEFAULT_SEED_COUNT, GoldenMissingError, fixtureTolerance, goldenNameOf, listGoldenDirs, loadGolden, recordGolden, verifyGolden } from '../../harness/index.ts';
import { describeDistribution } from '../../tensor/index.ts';
import { TORCH_INSTALL_HINT } from '../../torch/index.ts';
import { print, printError, type CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, DEFAULT_REPORTS_DIR, openBridge } from '../environment.ts';
import { runVerification } from '../verification.ts';
import { formatTable } from '../../report/index.ts';

interface GoldenOptions {
  golden: string;
}

export function registerGolden(program: Command, ctx: CliContext): void {
  const golden = program.command('golden').description('Record, verify and list golden fixtures (golden/<name>/).');

  golden
    .command('add')
    .description('Record a golden for a fixture: weights, seeded inputs and PyTorch reference outputs.')
    .argument('<fixture>', 'fixture file (.py) following the fixture contract (docs/fixtures.md)')
    .option('--name <name>', 'golden name (default: the fixture file name without .py)')
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .option('--seeds <count>', 'number of seeds to record', String(DEFAULT_SEED_COUNT))
    .option('--update', 're-record an existing golden deliberately', false)
    .option('--targets <list>', "targets whose error levels are accepted after recording (default: the suite's)")
    .option('--no-onnx', 'do not export model.onnx (as large as the weights; the onnx target then skips this model)')
    .option('--no-activations', "do not keep the first seed's intermediate values (grow with the input size; a failure then gets no per-layer diagnosis)")
    .action(async (fixture: string, options: GoldenOptions & { name?: string; seeds: string; update: boolean; onnx: boolean; targets?: string; activations: boolean }) => {
      const seedCount = Number(options.seeds);
      if (!Number.isSafeInteger(seedCount) || seedCount < 1) throw new UsageError(`--seeds must be a positive integer, got ${options.seeds}`);
      const path = resolve(ctx.cwd, fixture);
      if (!fixture.endsWith('.py')) throw new UsageError(`${fixture}: a fixture is a Python file (.py) defining build() and INPUT_SHAPES; see docs/fixtures.md`);
      if (!existsSync(path)) throw new UsageError(`fixture ${fixture} does not exist`);
      const opened = await openBridge(ctx);
      if (!opened.bridge) throw new UsageError(`recording a golden needs torch. ${opened.unavailable ?? TORCH_INSTALL_HINT}`);
      try {
        await fixtureTolerance(path); // a TOLERANCE typo fails before anything is written
        const manifest = await recordGolden(opened.bridge, path, {
          goldenRoot: resolve(ctx.cwd, options.golden),
          ...(options.name ? { name: options.name } : {}),
          seedCount,
          update: options.update,
          ci: ctx.config.ci,
          onnx: options.onnx,
          activations: options.activations,
        });
        print(ctx, `recorded golden ${manifest.name}: seeds ${manifest.seeds.join(', ')}, ${manifest.outputs.length} output(s), torch ${manifest.torch.version}`);
      } finally {
        await opened.bridge.close();
      }
      // The drift ratchet needs a baseline from the start: verify the new golden on the suite's
      // targets and accept the error levels it reaches.
      print(ctx, 'verifying it to record the accepted error levels (the drift ratchet baseline):');
      await runVerification(ctx, {
        inputs: [resolve(ctx.cwd, options.golden, options.name ?? goldenNameOf(path))],
        goldenRoot: resolve(ctx.cwd, options.golden),
        reportRoot: resolve(ctx.cwd, DEFAULT_REPORTS_DIR),
        ...(options.targets ? { targets: options.targets } : {}),
        // A golden recorded without model.onnx has no onnx row to accept: that skip is deliberate.
        ...(options.onnx ? {} : { allowSkip: 'onnx' }),
        update: true,
        json: false,
        recordIntoGoldenRoot: false,
      });
    });

  golden
    .command('verify')
    .description('Check every golden: recorded hashes, no missing or extra files, fixture unchanged since recording.')
    .argument('[names...]', 'golden names (default: all)')
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .action(async (names: string[], options: GoldenOptions) => {
      const root = resolve(ctx.cwd, options.golden);
      const dirs = names.length ? names.map((name) => resolve(root, name)) : await listGoldenDirs(root);
      if (dirs.length === 0) throw new GoldenMissingError(`no goldens under ${root}`);
      let failed = 0;
      for (const dir of dirs) {
        const result = await verifyGolden(dir);
        if (result.ok) print(ctx, `ok    ${result.name}`);
        else {
          failed++;
          print(ctx, `FAIL  ${result.name}`);
          for (const problem of result.problems) print(ctx, `        ${problem}`);
        }
      }
      print(ctx, `${dirs.length - failed} of ${dirs.length} goldens verified`);
      if (failed > 0) ctx.exitCode = 1;
    });

  golden
    .command('list')
    .description('List recorded goldens.')
    .option('--golden <dir>', 'golden root directory', DEFAULT_GOLDEN_DIR)
    .option('--json', 'machine-readable output', false)
    .action(async (options: GoldenOptions & { json: boolean }) => {
      const root = resolve(ctx.cwd, options.golden);
      const entries = [];
      for (const dir of await listGoldenDirs(root)) {
        try {
          const { manifest } = await loadGolden(dir);
          entries.push({
            name: manifest.name,
            inputs: manifest.inputs.map((s) => `[${s.shape.join('x')}]`).join(' '),
            outputs: manifest.outputs.length,
            seeds: manifest.seeds,
            distribution: describeDistribution(manifest.inputDistribution),
            torch: manifest.torch.version,
            createdAt: manifest.createdAt,
          });
        } catch (error) {
          printError(ctx, `${dir}: ${(error as Error).message}`);
          ctx.exitCode = 1;
        }
      }
      if (options.json) return print(ctx, JSON.stringify(entries, null, 2));
      if (entries.length === 0) return print(ctx, `no goldens under ${root}`);
      print(
        ctx,
        formatTable(
          ['name', 'inputs', 'outputs', 'seeds', 'distribution', 'torch', 'recorded'],
          entries.map((e) => [e.name, e.inputs, String(e.outputs), e.seeds.join(','), e.distribution, e.torch, e.createdAt.slice(0, 19)]),
        ),
      );
    });
}
