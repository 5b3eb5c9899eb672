// One table for issue 16: per golden and TFLite variant, the file size, operator count, error
// against PyTorch (worst over the golden's seeds: max|diff| / max|ref|), and, when --against DIR
// holds earlier conversions (DIR/<model>/conversion.json, written by `torchport convert`, e.g. of
// the base branch), the latency ratio new / old, measured interleaved in this process; the fp16
// latency over fp32 (interleaved); and the full-int8 error under every calibration observer.
//
//   npx tsx scripts/bench-variants.ts [--against DIR] [--models a,b] [--time MS] [--rounds N] [--skip-latency] [--skip-observers] [--aa N]
//
// --aa N: instead, the latency gate's A/A check: the current build's artifacts (written here to a
// temporary directory) against themselves with `bench --against`'s code path, N runs per golden of
// --models (default four CNN blocks), tflite-fp32 / fp16 / int8, while two threads keep both cores
// busy; prints how many of the gated rows were flagged (false alarms).
//
// Latency: LiteRT.js, one thread, the golden's first seed, tinybench rounds interleaved
// (src/bench), ratios as medians with the gate's bootstrap interval.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PLAN, benchModels } from '../src/bench/index.ts';
import { buildKeras, convertGolden, loadArtifacts, lowerToTflite, toKerasLayout, toTorchLayout, writeArtifacts } from '../src/convert/index.ts';
import { createTargets, errorMetrics, listGoldenDirs, loadGolden, type Golden } from '../src/harness/index.ts';
import { createTfliteRunner } from '../src/runtimes/tflite/index.ts';
import { interleavedRatio } from './lib/interleaved-ratio.ts';
import { QUANTIZE_VARIANTS, type QuantizeVariant } from '../src/tflite/lower/index.ts';
import { DEFAULT_OBSERVER, OBSERVERS, type Observer } from '../src/tflite/quantize/index.ts';
import { inspectTflite } from '../src/tflite/index.ts';

const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    models: { type: 'string' },
    time: { type: 'string', default: '600' },
    rounds: { type: 'string', default: '12' },
    'skip-latency': { type: 'boolean', default: false },
    'skip-observers': { type: 'boolean', default: false },
    aa: { type: 'string' },
  },
});
const root = new URL('../', import.meta.url).pathname;
const wanted = args.models?.split(',');
const goldenDirs = (await listGoldenDirs(join(root, 'golden'))).filter((dir) => !wanted || wanted.includes(dir.split('/').pop()!));
const plan = { ...DEFAULT_PLAN, timePerWorkloadMs: Number(args.time), rounds: Number(args.rounds), warmupMs: 100 };

if (args.aa) {
  const runs = Number(args.aa);
  const dirs = wanted ? goldenDirs : goldenDirs.filter((dir) => ['resnet_basic_block', 'mobilenet_v2_inverted_residual', 'squeezenet_fire', 'efficientnet_mbconv'].some((m) => dir.endsWith(m)));
  const scratch = await mkdtemp(join(tmpdir(), 'bench-aa-'));
  const targets = ['tflite-fp32', 'tflite-fp16', 'tflite-int8'];
  const load = Array.from({ length: 2 }, () => new Worker('const end = Date.now() + 3_600_000; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);', { eval: true }));
  try {
    let gated = 0;
    let flagged = 0;
    const worst: number[] = [];
    for (const dir of dirs) {
      const golden = await loadGolden(dir);
      const conversion = await convertGolden(golden, { variants: ['fp32', 'fp16', 'int8'] });
      await writeArtifacts(conversion, join(scratch, golden.manifest.name));
      conversion.keras.dispose();
    }
    for (let run = 0; run < runs; run++) {
      const { latency } = await benchModels(dirs, {
        targets: createTargets(targets, { bridge: null, torchUnavailable: null }),
        reference: null,
        plan,
        gate: { threshold: 0.1, alpha: 0.05, confidence: 0.95 },
        slowdown: new Map(),
        baseline: null,
        against: { path: scratch, targets: (golden) => createTargets(targets, { bridge: null, torchUnavailable: null, artifactsDir: join(scratch, golden.manifest.name) }) },
      });
      const rows = latency.entries.filter((e) => e.gate);
      gated += rows.length;
      flagged += rows.filter((e) => e.gate!.verdict === 'regression').length;
      worst.push(...rows.map((e) => e.gate!.ratio));
      console.log(
        `A/A run ${run + 1}/${runs}: ${rows.filter((e) => e.gate!.verdict === 'regression').length}/${rows.length} flagged; ratios ${Math.min(...rows.map((e) => e.gate!.ratio)).toFixed(3)}-${Math.max(...rows.map((e) => e.gate!.ratio)).toFixed(3)}; fp16/fp32 checks failed: ${latency.summary.regressions - rows.filter((e) => e.gate!.verdict === 'regression').length}`,
      );
    }
    console.log(
      `A/A under load (2 busy threads on ${dirs.length} goldens x ${targets.length} targets, ${runs} runs): ${flagged}/${gated} false alarms; ratio range ${Math.min(...worst).toFixed(3)}-${Math.max(...worst).toFixed(3)}`,
    );
  } finally {
    await Promise.all(load.map((w) => w.terminate()));
    await rm(scratch, { recursive: true, force: true });
  }
  process.exit(0);
}

/** Runs bytes on every seed of the golden; worst relative error max|diff| / max|ref| over seeds and outputs. */
async function errorOf(golden: Golden, io: Awaited<ReturnType<typeof buildKeras>>['io'], bytes: Uint8Array): Promise<number> {
  return (await errorsOf(golden, io, bytes)).max;
}

/** max: worst max|diff| / max|ref|; rms: worst rmse / rms(ref), over seeds and outputs. */
async function errorsOf(golden: Golden, io: Awaited<ReturnType<typeof buildKeras>>['io'], bytes: Uint8Array): Promise<{ max: number; rms: number }> {
  const runner = await createTfliteRunner(bytes, { name: golden.manifest.name });

  let worst = 0;
  let worstRms = 0;
  try {
    for (const seed of golden.manifest.seeds) {
      const inputs = toKerasLayout(await golden.inputs(seed), io.inputs);
      const outputs = toTorchLayout(await runner.run(inputs), io.outputs);
      const references = await golden.outputs(seed);
      outputs.forEach((output, k) => {
        const m = errorMetrics(output.toFloat32(), references[k]!.toFloat32());
        worst = Math.max(worst, m.maxAbsDiff / m.maxAbsReference);
        const reference = references[k]!.toFloat32().data;
        const rms = Math.sqrt(reference.reduce((sum, v) => sum + v * v, 0) / reference.length);
        worstRms = Math.max(worstRms, m.rmse / rms);
      });
    }
  } finally {
    await runner.dispose();
  }
  return { max: worst, rms: worstRms };
}

const ratios = new Map<string, number[]>(); // 'new/old <variant>' or 'fp16/fp32' -> ratios over models

async function latencyRatio(key: string, golden: Golden, io: Awaited<ReturnType<typeof buildKeras>>['io'], a: Uint8Array, b: Uint8Array): Promise<string> {
  const input = toKerasLayout(await golden.inputs(golden.manifest.seeds[0]!), io.inputs);
  const { text, ratio } = await interleavedRatio(a, b, [input, input], plan);
  if (ratio !== undefined) ratios.set(key, [...(ratios.get(key) ?? []), ratio]);
  return text;
}

const pad = (s: string, n: number) => s.padEnd(n);
const header = [
  'model',
  'variant',
  'bytes',
  'old bytes',
  'ops',
  'old ops',
  'requant',
  'rel err',
  'old rel err',
  'new/old latency',
  'fp16/fp32 latency',
  ...(args['skip-observers'] ? [] : OBSERVERS.map((o) => `int8 ${o}`)),
];
const widths = [30, 13, 8, 9, 5, 7, 7, 9, 11, 18, 18, ...OBSERVERS.map(() => 16)];
console.log(header.map((h, i) => pad(h, widths[i]!)).join(' '));
const totals = new Map<Observer, Array<{ max: number; rms: number }>>(OBSERVERS.map((o) => [o, []]));
for (const dir of goldenDirs) {
  const golden = await loadGolden(dir);
  const name = golden.manifest.name;
  let keras;
  try {
    keras = await buildKeras(golden);
  } catch (error) {
    console.log(`${pad(name, 30)} (no Keras model: ${(error as Error).message.split('\n')[0]})`);
    continue;
  }
  const oldDir = args.against ? join(args.against, name) : undefined;
  const old = oldDir && existsSync(join(oldDir, 'conversion.json')) ? await loadArtifacts(oldDir) : undefined;
  const bytesOf = new Map<QuantizeVariant, Uint8Array>();
  const observerErrors = new Map<Observer, { max: number; rms: number }>();
  if (!args['skip-observers']) {
    for (const observer of OBSERVERS) {
      const bytes = (await lowerToTflite(keras, golden, 'int8', { observer })).bytes;
      const errors = await errorsOf(golden, keras.io, bytes);
      observerErrors.set(observer, errors);
      totals.get(observer)!.push(errors);
    }
  }
  for (const variant of QUANTIZE_VARIANTS) {
    const result = await lowerToTflite(keras, golden, variant);
    bytesOf.set(variant, result.bytes);
    const oldBytes = old?.tflite.get(variant)?.bytes;
    const cells = [
      name,
      variant,
      String(result.bytes.byteLength),
      oldBytes ? String(oldBytes.byteLength) : '-',
      String(result.report.operatorCount),
      oldBytes ? String(inspectTflite(oldBytes).operatorCount) : '-',
      String(result.report.calibration?.requantizations ?? ''),
      (await errorOf(golden, keras.io, result.bytes)).toExponential(2),
      oldBytes ? (await errorOf(golden, keras.io, oldBytes)).toExponential(2) : '-',
      oldBytes && !args['skip-latency'] ? await latencyRatio(`new/old ${variant}`, golden, keras.io, result.bytes, oldBytes) : '-',
      variant === 'fp16' && !args['skip-latency'] ? await latencyRatio('fp16/fp32', golden, keras.io, result.bytes, bytesOf.get('fp32')!) : '-',
      ...(args['skip-observers']
        ? []
        : OBSERVERS.map((o) => (variant === 'int8' ? `${observerErrors.get(o)!.max.toExponential(1)}/${observerErrors.get(o)!.rms.toExponential(1)}${o === DEFAULT_OBSERVER ? '*' : ''}` : ''))),
    ];
    console.log(cells.map((c, i) => pad(c, widths[i]!)).join(' '));
  }
  keras.model.dispose();
}
const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(Math.max(x, 1e-12)), 0) / xs.length);
if (ratios.size) {
  console.log('\nlatency ratios (interleaved medians; geometric mean, range over models):');
  for (const [key, list] of ratios) console.log(`  ${pad(key, 22)} ${geomean(list).toFixed(3)}  [${Math.min(...list).toFixed(2)}, ${Math.max(...list).toFixed(2)}] over ${list.length}`);
}
if (!args['skip-observers']) {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\nint8 error per observer over ${totals.get('min-max')!.length} goldens (cells: max|diff|/max|ref| / rmse/rms(ref); * = default, ${DEFAULT_OBSERVER}):`);
  for (const metric of ['max', 'rms'] as const) {
    for (const [observer, all] of totals) {
      const errors = all.map((e) => e[metric]);
      const wins = errors.filter((e, i) => OBSERVERS.every((o) => e <= totals.get(o)![i]![metric])).length;
      console.log(
        `  ${metric} ${pad(observer, 11)} geomean ${geomean(errors).toExponential(2)}  median ${median(errors).toExponential(2)}  worst ${Math.max(...errors).toExponential(2)}  best on ${wins}`,
      );
    }
  }
}
