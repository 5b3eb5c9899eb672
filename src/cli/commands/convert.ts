import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../../errors.ts';
import { MANIFEST_FILE, goldenNameOf, loadGolden, recordGolden } from '../../harness/index.ts';
import { formatTable } from '../../report/index.ts';
import { Tensor, decodeNpy } from '../../tensor/index.ts';
import { print, printError, type CliContext } from '../context.ts';
import { DEFAULT_GOLDEN_DIR, openBridge } from '../environment.ts';

const VARIANTS = ['fp32', 'fp16', 'dynamic-int8', 'int8'] as const;
type Variant = (typeof VARIANTS)[number];
// The converter's RECURRENCE_STRATEGIES, repeated so that --help does not load the converter.
const RECURRENCE_STRATEGIES = ['loop', 'unroll'] as const;
type RecurrenceStrategy = (typeof RECURRENCE_STRATEGIES)[number];
// The calibration OBSERVERS (src/tflite/quantize/observers.ts), repeated for the same reason.
const OBSERVERS = ['min-max', 'percentile', 'mse', 'entropy'] as const;

interface ConvertFlags {
  keras?: string;
  out: string;
  golden: string;
  quantize: string;
  int8Io: boolean;
  keepFloat?: string;
  representative?: string[];
  recurrence?: RecurrenceStrategy;
  observer?: (typeof OBSERVERS)[number];
}

export function registerConvert(program: Command, ctx: CliContext): void {
  program
    .command('convert')
    .description(
      "Convert a model: the golden's captured PyTorch graph -> a Keras model (DIR/keras/model.json + weights, DIR/keras/model.h5) -> " +
        'TFLite (DIR/model.tflite, model.fp16.tflite, model.dynamic-int8.tflite, model.int8.tflite) and DIR/conversion.json.',
    )
    .argument('[model]', 'a golden directory, or a fixture file (.py; its golden is used, or recorded on the fly when torch is present)')
    .option(
      '--keras <file>',
      "instead of a golden: your own Keras model (the TF.js model.json or .h5 `torchport transfer` filled) -> the TFLite files, named, laid out and ordered as its inputs and outputs; --representative samples are then in the Keras model's layout",
    )
    .requiredOption('--out <dir>', 'output directory')
    .option('--golden <dir>', 'golden root directory (for fixture files)', DEFAULT_GOLDEN_DIR)
    .option('--quantize <list>', `TFLite variants, comma-separated: ${VARIANTS.join(', ')}`, VARIANTS.join(','))
    .option('--int8-io', 'full int8 model with int8 inputs/outputs instead of float I/O with QUANTIZE/DEQUANTIZE', false)
    .option(
      '--keep-float <paths>',
      'int8: PyTorch module paths (= Keras layer names), comma-separated, whose layers stay float32 between DEQUANTIZE and QUANTIZE (a path covers the layers under it), e.g. blocks.0.attn,blocks.0.norm1',
    )
    .addOption(
      new Option(
        '--recurrence <strategy>',
        'how LSTM/GRU are written: loop (one WHILE per direction, operator count independent of the sequence length; float32 inside int8 models) or unroll (one cell per step: about 2x faster in LiteRT, all-int8)',
      )
        .choices(RECURRENCE_STRATEGIES)
        .default('loop'),
    )
    .addOption(new Option('--observer <name>', "int8: how each tensor's range is chosen from the calibration data (docs/quantization.md); default min-max").choices(OBSERVERS))
    .option(
      '--representative <npy...>',
      "calibration data for int8: .npy files in PyTorch layout (with --keras: the Keras model's layout), each one sample or a stack [N, ...] of samples (default: 32 seeded samples of the fixture's input distribution)",
    )
    .action(async (model: string | undefined, flags: ConvertFlags) => {
      const variants = parseVariants(flags.quantize);
      const keepFloat = parseKeepFloat(flags.keepFloat, variants);
      if (flags.keras !== undefined) {
        if (model !== undefined) throw new UsageError(`give either a golden / fixture (${model}) or --keras ${flags.keras}, not both`);
        await convertKerasModel(ctx, flags.keras, flags, variants, keepFloat);
        return;
      }
      if (model === undefined) throw new UsageError('convert needs a golden directory, a fixture file (.py) or --keras <model.json|model.h5>');
      // The converter (tfjs and its backend) loads while a fixture's golden is recorded in the torch process.
      const converter = Promise.all([import('../../convert/index.ts'), import('../../runtimes/tfjs/index.ts')]).then(async ([module, tfjs]) => {
        await tfjs.initTfjsBackend(ctx.config.tfjsBackend);
        return module;
      });
      converter.catch(() => undefined); // awaited below; a failure then is the one reported
      const { golden, cleanup } = await resolveGolden(ctx, model, resolve(ctx.cwd, flags.golden));
      try {
        const { convertGolden, userRepresentativeData, writeArtifacts } = await converter;
        const representative = flags.representative
          ? userRepresentativeData(
              await readSamples(
                ctx,
                flags.representative,
                golden.manifest.inputs.map((s) => s.shape),
              ),
              golden.manifest.inputs.map((s) => s.shape),
              flags.representative.join(', '),
            )
          : undefined;
        const conversion = await convertGolden(golden, {
          variants,
          int8Io: flags.int8Io,
          ...(representative ? { representative } : {}),
          ...(keepFloat ? { keepFloat } : {}),
          ...(flags.recurrence ? { recurrence: flags.recurrence } : {}),
          ...(flags.observer ? { observer: flags.observer } : {}),
        });
        const out = resolve(ctx.cwd, flags.out);
        const record = await writeArtifacts(conversion, out);
        const build = conversion.build!;
        print(
          ctx,
          `${golden.manifest.name}: Keras model with ${build.layerCount} layers, ${build.parameterCount} parameters, ${build.permuteCount} inserted permutes (built in ${conversion.milliseconds.keras.toFixed(0)} ms)`,
        );
        for (const permute of build.permutes) print(ctx, `  permute: ${JSON.stringify(permute)}`);
        const rows = [...conversion.tflite].map(([variant, result]) => [
          variant,
          record.tflite[variant]!.file,
          String(result.bytes.byteLength),
          String(result.report?.operatorCount ?? '-'),
          String(result.report?.operatorHistogram['TRANSPOSE'] ?? 0),
          `${(conversion.milliseconds.tflite[variant] ?? 0).toFixed(0)} ms`,
        ]);
        print(ctx, formatTable(['variant', 'file', 'bytes', 'ops', 'TRANSPOSE', 'converted in'], rows));
        for (const kept of conversion.tflite.get('int8')?.report?.keptFloat ?? [])
          print(ctx, `int8 kept in float32: ${kept.path} (${kept.layers.length} layer${kept.layers.length === 1 ? '' : 's'}: ${kept.layers.join(', ')})`);
        const indices = conversion.tflite.get('int8')?.report?.keptFloatIndices;
        if (indices) print(ctx, `int8 kept in float32: index arithmetic (${indices.layers.length} layer${indices.layers.length === 1 ? '' : 's'}: ${indices.layers.join(', ')}): ${indices.reason}`);
        const calibration = conversion.tflite.get('int8')?.report?.calibration;
        if (conversion.representative)
          print(ctx, `int8 calibration: ${conversion.representative.source}, sha256 ${conversion.representative.sha256}${calibration ? `, observer ${calibration.method}` : ''}`);
        print(ctx, `wrote ${relative(ctx.cwd, out) || '.'}/ (keras/, *.tflite, conversion.json)`);
        conversion.keras.dispose();
      } finally {
        await cleanup();
      }
    });
}

/** `convert --keras`: the user's Keras model to the TFLite variants (no golden, no Keras files written). */
async function convertKerasModel(ctx: CliContext, path: string, flags: ConvertFlags, variants: Variant[], keepFloat: string[] | undefined): Promise<void> {
  const { convertKerasFile, writeTfliteFiles } = await import('../../convert/index.ts');
  const file = resolve(ctx.cwd, path);
  if (!existsSync(file)) throw new UsageError(`--keras ${path}: no such file`);
  const samples = flags.representative;
  const representative = samples ? { source: samples.join(', '), read: (shapes: readonly (readonly number[])[]) => readSamples(ctx, samples, shapes) } : undefined;
  const conversion = await convertKerasFile(file, {
    variants,
    int8Io: flags.int8Io,
    ...(representative ? { representative } : {}),
    ...(keepFloat ? { keepFloat } : {}),
    ...(flags.recurrence ? { recurrence: flags.recurrence } : {}),
    ...(flags.observer ? { observer: flags.observer } : {}),
  });
  try {
    const out = resolve(ctx.cwd, flags.out);
    const files = await writeTfliteFiles(conversion, out);
    const { model } = conversion;
    print(
      ctx,
      `${path}: Keras model ${model.name} with ${model.layers.length} layers, ${model.countParams()} parameters; inputs ${model.inputNames.map((n, i) => `${n} [${conversion.inputShapes[i]!.join(', ')}]`).join(', ')}; outputs ${model.outputNames.join(', ')}`,
    );
    const rows = [...conversion.tflite].map(([variant, result], i) => [
      variant,
      files[i]!,
      String(result.bytes.byteLength),
      String(result.report.operatorCount),
      `${(conversion.milliseconds.tflite[variant] ?? 0).toFixed(0)} ms`,
    ]);
    print(ctx, formatTable(['variant', 'file', 'bytes', 'ops', 'converted in'], rows));
    const calibration = conversion.representative;
    if (calibration?.seeded)
      printError(
        ctx,
        `warning: int8 calibrated on ${calibration.source} of a standard normal distribution, not on your data: give --representative FILE.npy (samples in the Keras model's layout) for an int8 model worth shipping`,
      );
    else if (calibration) print(ctx, `int8 calibration: ${calibration.source} (${calibration.count} samples), sha256 ${calibration.sha256}, observer ${calibration.observer}`);
    print(ctx, `wrote ${relative(ctx.cwd, out) || '.'}/ (${files.join(', ')}); check them against PyTorch with \`torchport verify GOLDEN --tflite FILE\``);
  } finally {
    conversion.model.dispose();
  }
}

function parseKeepFloat(list: string | undefined, variants: readonly Variant[]): string[] | undefined {
  if (list === undefined) return undefined;
  const paths = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (paths.length === 0) throw new UsageError('--keep-float: give at least one module path (comma-separated)');
  if (!variants.includes('int8')) throw new UsageError(`--keep-float applies to the int8 variant, which --quantize ${variants.join(',')} does not include`);
  return paths;
}

function parseVariants(list: string): Variant[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(VARIANTS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length) throw new UsageError(`--quantize: unknown variant(s) ${unknown.join(', ') || '(none)'}; known: ${VARIANTS.join(', ')}`);
  return names as Variant[];
}

async function resolveGolden(ctx: CliContext, model: string, goldenRoot: string) {
  const path = resolve(ctx.cwd, model);
  if (existsSync(join(path, MANIFEST_FILE))) return { golden: await loadGolden(path), cleanup: async () => undefined };
  if (!model.endsWith('.py') || !existsSync(path)) throw new UsageError(`${model}: not a golden directory or a fixture file (.py)`);
  const committed = join(goldenRoot, goldenNameOf(path));
  if (existsSync(join(committed, MANIFEST_FILE))) return { golden: await loadGolden(committed), cleanup: async () => undefined };
  const opened = await openBridge(ctx);
  if (!opened.bridge) throw new UsageError(`${model} has no golden under ${goldenRoot} and torch is unavailable to record one: ${opened.unavailable}`);
  const scratch = await mkdtemp(join(tmpdir(), 'torchport-convert-'));
  try {
    // Only what the conversion reads: one seed, the captured graph and the weights (no ONNX export, no
    // activations, no float64 run; `verify` records a full golden when the port is checked).
    await recordGolden(opened.bridge, path, { goldenRoot: scratch, ci: false, seedCount: 1, onnx: false, activations: false, float64: false });
  } finally {
    await opened.bridge.close();
  }
  return { golden: await loadGolden(join(scratch, goldenNameOf(path))), cleanup: () => rm(scratch, { recursive: true, force: true }) };
}

/** Single-input models only: each file one sample of the input's shape, or a stack [N, ...shape] (or [N, ...] for a batch of 1). */
async function readSamples(ctx: CliContext, files: readonly string[], shapes: readonly (readonly number[])[]): Promise<Tensor[][]> {
  if (shapes.length !== 1) throw new UsageError(`--representative .npy files work for single-input models; this model has ${shapes.length} inputs`);
  const shape = shapes[0]!;
  const samples: Tensor[][] = [];
  for (const file of files) {
    const tensor = decodeNpy(new Uint8Array(await readFile(resolve(ctx.cwd, file))), file).toFloat32();
    // With a batch of 1, [N, ...rest] is N samples of [1, ...rest]: how a dataset of images is usually saved.
    const batchOfSamples = shape[0] === 1 && tensor.shape.length === shape.length && tensor.shape[0]! > 1 && tensor.shape.slice(1).every((d, i) => d === shape[i + 1]);
    if (tensor.shape.length === shape.length && !batchOfSamples) samples.push([tensor]);
    else if (tensor.shape.length === shape.length + 1 || batchOfSamples) {
      const count = tensor.shape[0]!;
      const size = tensor.size / count;
      for (let i = 0; i < count; i++) samples.push([new Tensor('float32', shape, tensor.data.slice(i * size, (i + 1) * size))]);
    } else throw new UsageError(`${file}: shape [${tensor.shape.join(', ')}] is neither the input shape [${shape.join(', ')}] nor a stack of them`);
  }
  return samples;
}
