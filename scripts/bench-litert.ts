// Times a small conv network in LiteRT.js: float32 vs dynamic-range int8 vs full int8.
//
//   npx tsx scripts/bench-litert.ts [--size 64] [--warmup 10] [--runs 50] [--threads 1]
//   node --experimental-wasm-relaxed-simd --import tsx scripts/bench-litert.ts [--threads 2]
//   (the flag selects LiteRT's relaxed-SIMD build; more than one thread needs it)
//
// The network (NHWC 1xSxSx3): conv 3->32 s2, conv 32->64 s2, 3x [conv 64->64], conv 64->128 s2,
// each 3x3 SAME with fused ReLU, then MEAN over H, W and a 128->10 FULLY_CONNECTED. Weights are
// seeded random (He-scaled). The int8 variants quantize filters per output channel; the full int8
// one takes its activation ranges from running the float model on the input (every
// intermediate exposed as an output). Warm-up runs are not measured; each measured run includes
// copying the input in and reading the outputs back.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createTfliteRunner } from '../src/runtimes/tflite/index.ts';
import { STANDARD_NORMAL, Tensor, seededInput } from '../src/tensor/index.ts';
import { TfliteGraphBuilder, writeTflite, type Quantization } from '../src/tflite/index.ts';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '10' },
    runs: { type: 'string', default: '50' },
    threads: { type: 'string', default: '1' },
  },
});
const size = Number(args.size);
const warmup = Number(args.warmup);
const runs = Number(args.runs);
const threads = Number(args.threads);

interface Layer {
  name: string;
  cin: number;
  cout: number;
  stride: number;
  filter: Float32Array; // OHWI
  bias: Float32Array;
}

const LAYERS: Array<[number, number, number]> = [
  [3, 32, 2],
  [32, 64, 2],
  [64, 64, 1],
  [64, 64, 1],
  [64, 64, 1],
  [64, 128, 2],
];

function layers(): Layer[] {
  return LAYERS.map(([cin, cout, stride], i) => {
    const filter = seededInput([cout, 3, 3, cin], STANDARD_NORMAL, 100 + i).data.map((v) => v * Math.sqrt(2 / (9 * cin)));
    const bias = seededInput([cout], STANDARD_NORMAL, 200 + i).data.map((v) => v * 0.05);
    return { name: `conv${i}`, cin, cout, stride, filter, bias };
  });
}

const FC_IN = 128;
const FC_OUT = 10;
const fcWeights = seededInput([FC_OUT, FC_IN], STANDARD_NORMAL, 300).data.map((v) => v * Math.sqrt(1 / FC_IN));
const fcBias = seededInput([FC_OUT], STANDARD_NORMAL, 301).data.map((v) => v * 0.05);

type Variant = 'fp32' | 'dynamic-int8' | 'int8';
/** Activation ranges by tensor name, for the full int8 variant. */
type Ranges = Map<string, [number, number]>;

function perChannel(filter: Float32Array, cout: number): { q: Int8Array; scale: number[] } {
  const per = filter.length / cout;
  const q = new Int8Array(filter.length);
  const scale: number[] = [];
  for (let c = 0; c < cout; c++) {
    let max = 0;
    for (let k = 0; k < per; k++) max = Math.max(max, Math.abs(filter[c * per + k]!));
    const s = Math.fround(max / 127 || 1);
    scale.push(s);
    for (let k = 0; k < per; k++) q[c * per + k] = Math.max(-127, Math.min(127, Math.round(filter[c * per + k]! / s)));
  }
  return { q, scale };
}

function asymmetric([lo, hi]: [number, number]): Quantization {
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  const scale = Math.fround((hi - lo) / 255 || 1e-6);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 };
}

function build(variant: Variant, weights: Layer[], ranges?: Ranges, exposeAll = false): Uint8Array {
  const g = new TfliteGraphBuilder();
  const activationType = variant === 'int8' ? 'int8' : 'float32';
  const q = (name: string) => (variant === 'int8' ? asymmetric(ranges!.get(name)!) : undefined);
  const exposed: number[] = [];
  const input = g.input('input', 'float32', [1, size, size, 3]);
  let x = input;
  if (variant === 'int8') {
    x = g.activation('input_q', 'int8', [1, size, size, 3], q('input'));
    g.op('QUANTIZE', [input], [x]);
  }
  let spatial = size;
  let inputScale = variant === 'int8' ? q('input')!.scale[0]! : 0;
  for (const layer of weights) {
    spatial = Math.ceil(spatial / layer.stride);
    let w: number;
    let b: number;
    if (variant === 'fp32') {
      w = g.constant(`${layer.name}.weight`, new Tensor('float32', [layer.cout, 3, 3, layer.cin], layer.filter));
      b = g.constant(`${layer.name}.bias`, new Tensor('float32', [layer.cout], layer.bias));
    } else {
      const { q: qw, scale } = perChannel(layer.filter, layer.cout);
      w = g.constant(`${layer.name}.weight`, new Tensor('int8', [layer.cout, 3, 3, layer.cin], qw), { scale, zeroPoint: scale.map(() => 0), quantizedDimension: 0 });
      if (variant === 'dynamic-int8') {
        b = g.constant(`${layer.name}.bias`, new Tensor('float32', [layer.cout], layer.bias));
      } else {
        const biasScale = scale.map((s) => Math.fround(inputScale * s));
        const qb = Int32Array.from(layer.bias, (v, c) => Math.round(v / biasScale[c]!));
        b = g.constant(`${layer.name}.bias`, new Tensor('int32', [layer.cout], qb), { scale: biasScale, zeroPoint: biasScale.map(() => 0), quantizedDimension: 0 });
      }
    }
    const y = g.activation(layer.name, activationType, [1, spatial, spatial, layer.cout], q(layer.name));
    g.op('CONV_2D', [x, w, b], [y], { padding: 'SAME', strideW: layer.stride, strideH: layer.stride, fusedActivationFunction: 'RELU' });
    if (exposeAll) exposed.push(y);
    x = y;
    if (variant === 'int8') inputScale = q(layer.name)!.scale[0]!;
  }
  const axes = g.int32Constant('axes', [1, 2]);
  const pooled = g.activation('pool', activationType, [1, FC_IN], q('pool'));
  g.op('MEAN', [x, axes], [pooled], { keepDims: false });
  if (exposeAll) exposed.push(pooled);
  let fw: number;
  let fb: number;
  if (variant === 'fp32') {
    fw = g.constant('fc.weight', new Tensor('float32', [FC_OUT, FC_IN], fcWeights));
    fb = g.constant('fc.bias', new Tensor('float32', [FC_OUT], fcBias));
  } else {
    // One scale for the whole FC matrix: per-tensor int8 FULLY_CONNECTED is the plain kernel
    // (per-channel hybrid FC is a newer op version), and 10x128 weights do not need more.
    const s = Math.fround(Math.max(...Array.from(fcWeights, Math.abs)) / 127);
    const qt = Int8Array.from(fcWeights, (v) => Math.max(-127, Math.min(127, Math.round(v / s))));
    fw = g.constant('fc.weight', new Tensor('int8', [FC_OUT, FC_IN], qt), { scale: [s], zeroPoint: [0], quantizedDimension: 0 });
    if (variant === 'dynamic-int8') fb = g.constant('fc.bias', new Tensor('float32', [FC_OUT], fcBias));
    else {
      const bs = Math.fround(q('pool')!.scale[0]! * s);
      fb = g.constant(
        'fc.bias',
        new Tensor(
          'int32',
          [FC_OUT],
          Int32Array.from(fcBias, (v) => Math.round(v / bs)),
        ),
        { scale: [bs], zeroPoint: [0], quantizedDimension: 0 },
      );
    }
  }
  const logits = g.activation('logits', activationType, [1, FC_OUT], q('logits'));
  g.op('FULLY_CONNECTED', [pooled, fw, fb], [logits], {});
  let output = logits;
  if (variant === 'int8') {
    output = g.activation('logits_float', 'float32', [1, FC_OUT]);
    g.op('DEQUANTIZE', [logits], [output]);
  }
  g.output(output, ...exposed);
  return writeTflite(g.build(`bench ${variant}`));
}

function range(t: Tensor): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of t.toFloat32().data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

const weights = layers();
const input = seededInput([1, size, size, 3], STANDARD_NORMAL, 1);

// Calibration: the float model with every intermediate as an output.
const calibration = await createTfliteRunner(build('fp32', weights, undefined, true), { threads });
const calibrated = await calibration.run([input]);
const ranges: Ranges = new Map([['input', range(input)]]);
calibration.outputNames.forEach((name, i) => ranges.set(name, range(calibrated[i]!)));
await calibration.dispose();

const reference = calibrated[0]!.toFloat32().data;
console.log(`LiteRT.js conv net, input 1x${size}x${size}x3, ${warmup} warm-up + ${runs} measured runs, ${threads} thread(s)`);
for (const variant of ['fp32', 'dynamic-int8', 'int8'] as const) {
  const bytes = build(variant, weights, ranges);
  const runner = await createTfliteRunner(bytes, { name: variant, threads });
  for (let i = 0; i < warmup; i++) await runner.run([input]);
  const times: number[] = [];
  let output: Tensor | undefined;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    [output] = await runner.run([input]); // includes reading the output back
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const values = output!.toFloat32().data;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < values.length; i++) {
    diff = Math.max(diff, Math.abs(values[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  console.log(
    `${variant.padEnd(13)} ${(bytes.byteLength / 1024).toFixed(1).padStart(7)} KiB  median ${median.toFixed(2)} ms  mean ${mean.toFixed(2)} ms  min ${times[0]!.toFixed(2)} ms  ` +
      `max|diff| vs fp32 ${diff.toExponential(2)} (relative ${(diff / scale).toFixed(4)})  [${runner.info.backend}]`,
  );
  await runner.dispose();
}
