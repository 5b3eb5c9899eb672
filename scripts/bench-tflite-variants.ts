// Converts ResNet18- and MobileNetV2-sized Keras models (random weights, BatchNorms with random
// statistics, built here: big models are never committed) to the four TFLite variants and
// measures, per variant: conversion time, file size, operator counts, LiteRT latency and the
// output's relative error against fp32. With --fixtures it first prints the parity table of the
// Keras fixtures against PyTorch.
//
//   npx tsx scripts/bench-tflite-variants.ts [--size 64] [--warmup 10] [--runs 50] [--samples 8] [--fixtures]
//
// Latency: warm-up runs are not measured; each measured run includes copying the input in and
// reading every output back. Single-threaded LiteRT (compat wasm build under plain Node).
import { tf } from '../src/runtimes/tfjs/index.ts';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { KERAS_FIXTURES } from '../src/keras/fixtures/index.ts';
import { groupedConv2d } from '../src/keras/layers/index.ts';
import { initTfjsBackend } from '../src/runtimes/tfjs/index.ts';
import { createTfliteRunner, executeTflite } from '../src/runtimes/tflite/index.ts';
import { STANDARD_NORMAL, Tensor, seededInput } from '../src/tensor/index.ts';
import { QUANTIZE_VARIANTS, convertKerasToTflite, type QuantizeVariant } from '../src/tflite/lower/index.ts';
import { convertFixture, loadFixtureModel, relativeError, representativeSamples, runConverted, torchLayout } from '../src/tflite/lower/testing.ts';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '10' },
    runs: { type: 'string', default: '50' },
    samples: { type: 'string', default: '8' },
    fixtures: { type: 'boolean', default: false },
  },
});
const size = Number(args.size);
const warmup = Number(args.warmup);
const runs = Number(args.runs);
const sampleCount = Number(args.samples);

await initTfjsBackend('wasm');
const L = tf.layers;
type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
let seed = 1;

/** Conv (no bias) + BatchNorm with random statistics + optional activation. */
function convBn(x: Sym, filters: number, kernel: number, stride: number, activation: 'relu' | 'relu6' | 'none', depthwise = false): Sym {
  const conv = depthwise
    ? L.depthwiseConv2d({ kernelSize: kernel, strides: stride, padding: 'same', useBias: false })
    : L.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) });
  const bn = L.batchNormalization({ epsilon: 1e-5 });
  let y = apply(bn, apply(conv, x));
  const c = y.shape[3]!;
  const r = (lo: number, hi: number) => tf.randomUniform([c], lo, hi, 'float32', seed++);
  bn.setWeights([r(0.5, 1.5), r(-0.2, 0.2), r(-0.2, 0.2), r(0.5, 1.5)]);
  if (activation === 'relu') y = apply(L.reLU(), y);
  if (activation === 'relu6') y = apply(L.reLU({ maxValue: 6 }), y);
  return y;
}

function resnet18(): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: 'x' });
  let x = convBn(input, 64, 7, 2, 'relu');
  x = apply(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
  let channels = 64;
  for (const [stage, filters] of [64, 128, 256, 512].entries()) {
    for (let block = 0; block < 2; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      let y = convBn(x, filters, 3, stride, 'relu');
      y = convBn(y, filters, 3, 1, 'none');
      const shortcut = stride !== 1 || channels !== filters ? convBn(x, filters, 1, stride, 'none') : x;
      x = apply(L.reLU(), apply(L.add(), [y, shortcut]));
      channels = filters;
    }
  }
  const logits = apply(L.dense({ units: 1000, name: 'fc' }), apply(L.globalAveragePooling2d({}), x));
  return tf.model({ inputs: input, outputs: logits, name: 'resnet18' });
}

function mobilenetV2(): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: 'x' });
  let x = convBn(input, 32, 3, 2, 'relu6');
  let channels = 32;
  const settings: Array<[number, number, number, number]> = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      let y = t === 1 ? x : convBn(x, channels * t, 1, 1, 'relu6');
      y = convBn(y, 0, 3, stride, 'relu6', true);
      y = convBn(y, c, 1, 1, 'none');
      x = stride === 1 && channels === c ? apply(L.add(), [x, y]) : y;
      channels = c;
    }
  }
  x = convBn(x, 1280, 1, 1, 'relu6');
  const logits = apply(L.dense({ units: 1000, name: 'fc' }), apply(L.globalAveragePooling2d({}), x));
  return tf.model({ inputs: input, outputs: logits, name: 'mobilenet_v2' });
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

if (args.fixtures) {
  console.log('Keras fixtures vs PyTorch in LiteRT (rule: fp32 max|diff| <= 1e-5; fp16 rel <= 1e-3; int8 variants rel <= 0.05; rel = max|diff| / max|ref|)');
  console.log('fixture         variant        max|diff|   rel        size     vs fp32  ops');
  for (const name of KERAS_FIXTURES) {
    const loaded = await loadFixtureModel(name);
    let fp32Bytes = 0;
    for (const quantize of QUANTIZE_VARIANTS) {
      const { bytes, report } = await convertFixture(loaded, { quantize, ...(quantize === 'int8' ? { representativeData: representativeSamples(loaded) } : {}) });
      const [output] = await runConverted(loaded, bytes);
      const error = relativeError(torchLayout(loaded, output!), loaded.fixture.torchOutput);
      if (quantize === 'fp32') fp32Bytes = bytes.byteLength;
      console.log(
        `${name.padEnd(15)} ${quantize.padEnd(14)} ${error.maxAbsDiff.toExponential(2).padStart(9)}   ${error.relative.toExponential(2).padStart(8)}  ${String(bytes.byteLength).padStart(6)} B  ${(bytes.byteLength / fp32Bytes).toFixed(2).padStart(5)}   ${report.operatorCount}`,
      );
    }
  }
  console.log();
}

for (const build of [resnet18, mobilenetV2]) {
  const model = build();
  const params = model.countParams();
  const input = seededInput([1, size, size, 3], STANDARD_NORMAL, 1);
  const samples = Array.from({ length: sampleCount }, (_, s) => [seededInput([1, size, size, 3], STANDARD_NORMAL, 100 + s)]);
  console.log(`${model.name}: ${(params / 1e6).toFixed(2)} M parameters, input 1x${size}x${size}x3, ${warmup} warm-up + ${runs} measured runs, int8 calibrated on ${sampleCount} samples`);
  console.log('variant         convert    size       ops  histogram                                                   median    mean      rel err vs fp32');
  let reference: Tensor | undefined;
  let fp32Median = 0;
  const rows: Array<[string, QuantizeVariant, boolean]> = QUANTIZE_VARIANTS.map((q) => [q, q, false]);
  // The depthwise choice of dynamic-range mode, measured: the same variant with int8 depthwise filters.
  if (model.name === 'mobilenet_v2') rows.push(['dyn-int8+dw', 'dynamic-int8', true]);
  for (const [label, quantize, hybridDepthwise] of rows) {
    const started = performance.now();
    const { bytes, report } = await convertKerasToTflite(model, { quantize, hybridDepthwise, ...(quantize === 'int8' ? { representativeData: samples, executeModel: executeTflite } : {}) });
    const convertMs = performance.now() - started;
    const runner = await createTfliteRunner(bytes, { name: `${model.name} ${label}` });
    for (let i = 0; i < warmup; i++) await runner.run([input]);
    const times: number[] = [];
    let output: Tensor | undefined;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      [output] = await runner.run([input]);
      times.push(performance.now() - t0);
    }
    await runner.dispose();
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    if (quantize === 'fp32') {
      reference = output;
      fp32Median = median;
    }
    const rel = relativeError(output!, reference!).relative;
    const histogram = Object.entries(report.operatorHistogram)
      .map(([op, n]) => `${op}:${n}`)
      .join(' ');
    console.log(
      `${label.padEnd(14)} ${`${convertMs.toFixed(0)} ms`.padStart(8)}  ${kib(bytes.byteLength).padStart(9)}  ${String(report.operatorCount).padStart(4)}  ${histogram.padEnd(58).slice(0, 58)}  ${median.toFixed(2).padStart(6)} ms ${mean.toFixed(2).padStart(6)} ms  ${rel.toFixed(4)}  (x${(fp32Median / median).toFixed(2)} vs fp32)`,
    );
  }
  model.dispose();
  console.log();
}

// GroupedConv2D: one CONV_2D with a grouped filter vs SPLIT + CONV_2D per group + CONCATENATION.
{
  const input = tf.input({ shape: [size / 2, size / 2, 128], name: 'x' });
  let x: Sym = input;
  for (let i = 0; i < 4; i++) x = apply(groupedConv2d({ filters: 128, kernelSize: 3, groups: 8, padding: 'same' }), x);
  const model = tf.model({ inputs: input, outputs: x, name: 'grouped' });
  const sample = seededInput([1, size / 2, size / 2, 128], STANDARD_NORMAL, 3);
  console.log(`GroupedConv2D x4 (128 -> 128, 3x3, 8 groups) on 1x${size / 2}x${size / 2}x128, fp32`);
  for (const strategy of ['grouped-filter', 'split'] as const) {
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'fp32', groupedConvolution: strategy });
    const runner = await createTfliteRunner(bytes, { name: strategy });
    for (let i = 0; i < warmup; i++) await runner.run([sample]);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await runner.run([sample]);
      times.push(performance.now() - t0);
    }
    await runner.dispose();
    times.sort((a, b) => a - b);
    console.log(`${strategy.padEnd(15)} ops ${String(report.operatorCount).padStart(3)}  median ${times[Math.floor(times.length / 2)]!.toFixed(2)} ms`);
  }
}
