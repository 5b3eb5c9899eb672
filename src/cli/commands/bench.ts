import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { cpus, platform, release } from 'node:os';
import { UsageError } from '../../errors.ts';
import { DEFAULT_PLAN, benchModels, benchReport, createBaseline, loadBaseline, saveBaseline, torchReference, type MeasurePlan } from '../../bench/index.ts';
import { MANIFEST_FILE, describeEnvironment, goldenNameOf, runIdFor, type LayoutChoice } from '../../harness/index.ts';
import { latencyTable, writeReports } from '../../report/index.ts';
import { print, printError, type CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, DEFAULT_REPORTS_DIR, openBridge, type OpenedBridge } from '../environment.ts';
import { createProgress } from '../progress.ts';
import { availableTargetNames, createTargets, parseTargetList } from '../targets.ts';
import { resolveInputs, targetsOfFiles } from '../verification.ts';
import { layoutOption, modelFilesOf } from './verify.ts';

/** The target timed inside the PyTorch bridge rather than through the `Target` interface. */
const REFERENCE_TARGET = 'torch';

interface BenchCliOptions {
  targets?: string;
  golden: string;
  report: string;
  json: boolean;
  saveBaseline?: string;
  baseline?: string;
  against?: string;
  threshold: string;
  time: string;
  rounds: string;
  warmup: string;
  ratioReference: string;
  tflite?: string[];
  keras?: string[];
  layout?: LayoutChoice;
}

export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description(
      'Latency per model x target (tinybench, warm-up separate, outputs read back inside the timed region), with the PyTorch ' +
        'reference timed inside the bridge for context, target-vs-target ratios, and a regression gate against a stored baseline. ' +
        'Exit 0 pass, 1 a latency regression, 2 bad input.',
    )
    .argument('[inputs...]', 'golden dirs, fixture files (.py, their committed golden is used) and/or a suite (.json); default: suites/default.json')
    .option('--targets <list>', "comma-separated targets (default: the suite's); torch is the reference, timed in Python")
    .option('--golden <dir>', 'golden root directory (for fixtures)', DEFAULT_GOLDEN_DIR)
    .option('--report <dir>', 'reports root directory; this run writes <dir>/bench/<run id>/ and <dir>/bench/latest/', DEFAULT_REPORTS_DIR)
    .option('--json', 'print the report as JSON instead of the table', false)
    .option('--save-baseline <file>', 'write this run as a latency baseline (normalised by the calibration kernel)')
    .option('--baseline <file>', 'compare against a stored baseline; a significant slowdown of at least --threshold exits 1')
    .option(
      '--against <dir>',
      'gate against the previous build: the artifacts `torchport convert --out` wrote (DIR/conversion.json for one model, or DIR/<model>/ per model), timed interleaved with the current keras/tflite models in this process; a significant slowdown of at least --threshold exits 1',
    )
    .option('--threshold <fraction>', 'smallest slowdown that fails the gate', '0.10')
    .option('--time <ms>', 'measured time per target per model, spread over the rounds', String(DEFAULT_PLAN.timePerWorkloadMs))
    .option('--rounds <n>', 'interleaved rounds per model', String(DEFAULT_PLAN.rounds))
    .option('--warmup <ms>', 'warm-up time per target per model (never measured)', String(DEFAULT_PLAN.warmupMs))
    .option('--ratio-reference <target>', 'ratios are given relative to this target when it ran', 'onnx')
    .option('--tflite <files...>', "time these .tflite files (from any converter) instead of torchport's conversion, in LiteRT.js and the native interpreter; one golden")
    .option('--keras <files...>', 'time this Keras model (.h5, .keras or model.json, from any converter) in TF.js and/or Keras 3; one golden')
    .addOption(layoutOption())
    .action(async (inputs: string[], options: BenchCliOptions) => runBench(ctx, inputs, options));
}

function number(value: string, flag: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} must be ${expected}, got ${JSON.stringify(value)}`);
  return n;
}

async function runBench(ctx: CliContext, inputs: string[], options: BenchCliOptions): Promise<void> {
  const startedAt = new Date();
  const threshold = number(options.threshold, '--threshold', (n) => n > 0 && n < 10, 'a fraction like 0.10 (10%)');
  const plan: MeasurePlan = {
    ...DEFAULT_PLAN,
    timePerWorkloadMs: number(options.time, '--time', (n) => n > 0, 'a positive number of milliseconds'),
    rounds: number(options.rounds, '--rounds', (n) => Number.isInteger(n) && n >= 2, 'an integer of at least 2'),
    warmupMs: number(options.warmup, '--warmup', (n) => n >= 0, 'a non-negative number of milliseconds'),
  };
  const slowdown = ctx.config.benchSlowdown; // test-only hook
  const baselinePath = options.baseline ? resolve(ctx.cwd, options.baseline) : null;
  const baseline = baselinePath ? { baseline: await loadBaseline(baselinePath), path: relative(ctx.cwd, baselinePath) || baselinePath } : null;
  if (baseline && options.against) throw new UsageError('--baseline and --against are two gates; give one');
  const againstDir = options.against ? resolve(ctx.cwd, options.against) : null;
  if (againstDir && !existsSync(againstDir)) throw new UsageError(`--against ${options.against}: no such directory (it takes what \`torchport convert --out DIR\` wrote)`);
  const conversionFile = againstDir ? (await import('../../convert/index.ts')).CONVERSION_FILE : '';

  const { suite, fixtures, goldens } = await resolveInputs(ctx, inputs);
  const goldenRoot = resolve(ctx.cwd, options.golden);
  const missing: string[] = [];
  for (const fixture of fixtures) {
    const dir = join(goldenRoot, goldenNameOf(fixture));
    if (existsSync(join(dir, MANIFEST_FILE))) goldens.push(dir);
    else missing.push(`${relative(ctx.cwd, fixture)} has no golden under ${relative(ctx.cwd, goldenRoot) || '.'}; record it first: torchport golden add ${relative(ctx.cwd, fixture)}`);
  }
  if (missing.length) throw new UsageError(missing.join('\n'));
  const files = modelFilesOf(ctx, options);
  if (files.length && (baseline || againstDir || options.saveBaseline))
    throw new UsageError("--tflite / --keras time a file once; --baseline, --against and --save-baseline apply to torchport's own conversion");
  const fileTargets = files.length ? await targetsOfFiles(files, goldens.length, options.targets) : null;
  const names = fileTargets ? fileTargets.map((t) => t.name) : options.targets ? parseTargetList(options.targets) : suite.targets.filter((t) => availableTargetNames().includes(t));
  const unknownSlowdown = [...slowdown.keys()].filter((t) => !names.includes(t) || t === REFERENCE_TARGET);
  if (unknownSlowdown.length) throw new UsageError(`the slowdown hook names ${unknownSlowdown.join(', ')}, which this run does not time in Node (targets: ${names.join(', ')})`);

  const wantsReference = names.includes(REFERENCE_TARGET);
  const opened: OpenedBridge = wantsReference ? await openBridge(ctx) : { bridge: null, versions: null, unavailable: 'not requested' };
  if (wantsReference && opened.unavailable) printError(ctx, `torch is unavailable, the reference row is skipped:\n${opened.unavailable}`);
  const progress = createProgress(ctx, { total: goldens.length });
  try {
    const result = await benchModels(goldens, {
      targets:
        fileTargets ??
        createTargets(
          names.filter((n) => n !== REFERENCE_TARGET),
          { bridge: opened.bridge, torchUnavailable: opened.unavailable },
        ),
      reference: wantsReference ? torchReference(opened.bridge, opened.unavailable ? { unavailable: opened.unavailable } : {}) : null,
      plan,
      gate: { threshold, alpha: 0.05, confidence: 0.95 },
      slowdown,
      baseline,
      against: againstDir
        ? {
            path: relative(ctx.cwd, againstDir) || againstDir,
            // Only converted models have artifacts; one model's conversion.json sits in DIR itself, several in DIR/<model>/.
            targets: (golden) =>
              createTargets(
                names.filter((n) => n === 'keras' || n.startsWith('tflite-')),
                { bridge: null, torchUnavailable: null, artifactsDir: existsSync(join(againstDir, conversionFile)) ? againstDir : join(againstDir, golden.manifest.name) },
              ),
          }
        : null,
      ratioReference: options.ratioReference,
      onProgress: (message) => progress.update(message),
    });
    progress.done();
    const environment = await describeEnvironment({ torch: opened.versions, torchUnavailable: wantsReference ? opened.unavailable : null, ci: ctx.config.ci, cwd: ctx.cwd });
    const runId = runIdFor(startedAt);
    const report = benchReport(result, { runId, suite: suite.name, startedAt, environment });
    const reportRoot = join(resolve(ctx.cwd, options.report), 'bench');
    await writeReports(report, join(reportRoot, runId), join(reportRoot, 'latest'));
    if (options.saveBaseline) {
      const path = resolve(ctx.cwd, options.saveBaseline);
      const machine = `${platform()} ${release()} ${process.arch}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`;
      await saveBaseline(path, createBaseline({ machine, gitCommit: environment.gitCommit, calibrationMs: result.calibrationMs, entries: result.baselineEntries }));
      if (!options.json) print(ctx, `baseline written: ${relative(ctx.cwd, path)}`);
    }
    if (options.json) print(ctx, JSON.stringify(report, null, 2));
    else {
      print(ctx, latencyTable(result.latency));
      print(ctx, `reports: ${relative(ctx.cwd, join(reportRoot, 'latest'))}/report.{json,md,html}`);
    }
    if (!report.summary.pass) ctx.exitCode = 1;
  } finally {
    progress.done();
    await opened.bridge?.close();
  }
}
