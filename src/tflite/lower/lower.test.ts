// The converter end to end: hand-written Keras models (src/keras/fixtures and ./fixtures, with
// weights transferred from PyTorch) converted to all four variants, run in the official LiteRT
// runtime and compared with PyTorch's outputs.
//
// Tolerances:
// - fp32: max |diff| <= 1e-5 (same as Keras vs PyTorch).
// - fp16: max |diff| / max |ref| <= 1e-3. A float16 weight carries a relative rounding error of at
//   most 2^-11 (4.9e-4); activations stay float32, so the output moves by about that fraction.
// - dynamic-int8 and int8: max |diff| / max |ref| <= 0.05. Each int8 tensor carries at most half
//   a quantization step of rounding (step = range / 255, i.e. about 0.8% of its max |value| for a
//   signed range, 0.4% for a ReLU one; weights: max|w_c| / 127 per channel), and the errors of
//   the 2-5 quantized layers of these models add up at the output to a few output steps: 1-3% of
//   max |ref| measured (the hybrid kernels re-quantize every input on the fly, with the same step
//   size). 0.05 leaves about 1.5x margin over the worst case measured while still failing any
//   real mistake (a wrong scale, a wrong channel axis, an unfolded BatchNorm), which shows up as
//   errors of 10-100%.
import { tf } from '../../runtimes/tfjs/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { KERAS_FIXTURES } from '../../keras/fixtures/index.ts';
import { createTfliteRunner, executeTflite } from '../../runtimes/tflite/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { Tensor, seededInput, STANDARD_NORMAL } from '../../tensor/index.ts';
import { TfliteGraphBuilder, inspectTflite, writeTflite } from '../index.ts';
import { errorMetrics } from '../../harness/compare/index.ts';
import { ConversionOptionsError, KerasLoweringError, QUANTIZE_VARIANTS, convertKerasToTflite, type LoweringContext, type QuantizeVariant } from './index.ts';
import { LOWERING_FIXTURES, convertFixture, loadFixtureModel, loadLoweringFixture, outputSteps, relativeError, representativeSamples, runConverted, torchLayout } from './testing.ts';

const FP32_TOLERANCE = 1e-5;
const FP16_RELATIVE = 1e-3;
const INT8_RELATIVE = 0.05;
const CNN_FIXTURES = ['seed_conv', 'convnet', 'conv1d', 'conv_transpose', 'prelu'] as const;

beforeAll(async () => {
  await initTfjsBackend('wasm');
});

function checkParity(variant: QuantizeVariant, actual: Tensor, reference: Tensor): void {
  const error = relativeError(actual, reference);
  if (variant === 'fp32') expect(error.maxAbsDiff).toBeLessThanOrEqual(FP32_TOLERANCE);
  else if (variant === 'fp16') expect(error.relative).toBeLessThanOrEqual(FP16_RELATIVE);
  else expect(error.relative).toBeLessThanOrEqual(INT8_RELATIVE);
  // Not vacuous: the quantized variants do differ from float, float16 included.
  if (variant !== 'fp32') expect(error.maxAbsDiff).toBeGreaterThan(0);
}

describe('Keras fixtures in all four variants match PyTorch in LiteRT', () => {
  for (const name of KERAS_FIXTURES) {
    for (const variant of QUANTIZE_VARIANTS) {
      it(`${name} ${variant}`, async () => {
        const loaded = await loadFixtureModel(name);
        const { bytes, report } = await convertFixture(loaded, { quantize: variant, ...(variant === 'int8' ? { representativeData: representativeSamples(loaded) } : {}) });
        const [output] = await runConverted(loaded, bytes);
        if (name === 'embedding' && variant === 'dynamic-int8') {
          // Only GATHER: nothing with a hybrid kernel, so the table stays float and exact.
          expect(relativeError(output!, loaded.fixture.torchOutput).maxAbsDiff).toBe(0);
          return;
        }
        checkParity(variant, torchLayout(loaded, output!), loaded.fixture.torchOutput);
        expect(report.operatorHistogram['TRANSPOSE'] ?? 0).toBe(0);
        // Full int8 is int8 throughout, except a normalization's per-sample statistics (IrOp.keepFloat).
        const statistics = report.floatOperators.filter((f) => f.reason.includes('per-sample statistics'));
        if (variant === 'int8') expect(report.floatOperators.filter((f) => !statistics.includes(f))).toEqual([]);
        if (variant === 'int8') expect(statistics.map((f) => f.op)).toEqual(name === 'layer_norm' ? ['MEAN', 'SUB', 'MUL', 'MEAN', 'ADD', 'RSQRT', 'MUL'] : []);
      });
    }
  }
});

describe('more Keras layers, against PyTorch (scripts/make_lowering_references.py)', () => {
  for (const name of LOWERING_FIXTURES) {
    for (const variant of QUANTIZE_VARIANTS) {
      it(`${name} ${variant}`, async () => {
        const fixture = await loadLoweringFixture(name);
        const samples = Array.from({ length: 32 }, (_, s) => [seededInput(fixture.input.shape, STANDARD_NORMAL, 2000 + s)]);
        const { bytes, report } = await convertKerasToTflite(fixture.model, {
          quantize: variant,
          batchSize: fixture.input.shape[0],
          ...(variant === 'int8' ? { representativeData: samples, executeModel: executeTflite } : {}),
        });
        const runner = await createTfliteRunner(bytes, { name });
        const outputs = await runner.run([fixture.input]);
        await runner.dispose();
        if (variant === 'int8') {
          // These models chain many int8 operators (ops2d: sigmoid, ELU, MUL, tanh, MAXIMUM, ADD,
          // GELU, swish: 12 re-roundings between the stem and the output) and end in a
          // small-valued output (ops2d's features: max |ref| 0.23 while the head convolution
          // before GELU spans several units), so each output step is much finer than the error
          // the upstream grids carry. Measured per layer (int8 vs fp32 in debug mode): 1-2% after
          // each convolution, 3.5% after the MUL/tanh pair, 8% after GELU on the head. The rule:
          // cosine similarity >= 0.99 and relative error <= 0.12 (1.25x the 9.4% measured on ops2d).
          outputs.forEach((output, i) => {
            expect(relativeError(output, fixture.outputs[i]!).relative).toBeLessThanOrEqual(0.12);
            expect(errorMetrics(output, fixture.outputs[i]!).cosineSimilarity).toBeGreaterThanOrEqual(0.99);
          });
        } else {
          outputs.forEach((output, i) => checkParity(variant, output, fixture.outputs[i]!));
        }
        expect(report.operatorHistogram['TRANSPOSE'] ?? 0).toBe(0);
      });
    }
  }

  it('ops2d: the ZeroPadding2D equal to SAME is merged, BatchNorm folded, one op per compute layer', async () => {
    const fixture = await loadLoweringFixture('ops2d');
    const { bytes, report } = await convertKerasToTflite(fixture.model, { quantize: 'fp32' });
    expect(report.operatorHistogram['PAD']).toBeUndefined();
    expect(report.rewrites).toContainEqual({ kind: 'merge-padding', layer: 'stem_pad', into: 'stem' });
    expect(report.rewrites.filter((r) => r.kind === 'fold' && r.layer === 'stem_bn')).toHaveLength(2); // its MUL and its ADD
    const inspection = inspectTflite(bytes);
    const stem = inspection.operators.find((op) => op.name === 'CONV_2D' && inspection.tensors[op.inputs[1]!]!.name === 'stem/kernel')!;
    expect(stem.options?.['padding']).toBe('SAME');
    expect(inspection.tensors[stem.inputs[0]!]!.name).toBe('x');
    expect(report.operatorHistogram).toEqual({
      CONV_2D: 4, // stem, mix, side, head
      MUL: 4, // multiply (m * s), multiply (average * tanh), average's 1/2, swish's x * sigmoid
      LOGISTIC: 2, // mix's sigmoid, swish's sigmoid
      ADD: 2, // average's sum, add
      AVERAGE_POOL_2D: 1,
      CONCATENATION: 1,
      ELU: 1,
      FULLY_CONNECTED: 1,
      GELU: 1,
      LEAKY_RELU: 1,
      MAXIMUM: 1,
      MAX_POOL_2D: 1,
      MEAN: 1,
      RESIZE_NEAREST_NEIGHBOR: 1,
      SOFTMAX: 1,
      TANH: 1,
    });
  });

  it('seq1d: the Conv1D reshapes cancel against the MaxPooling1D ones; its ReLU is fused', async () => {
    const fixture = await loadLoweringFixture('seq1d');
    const { bytes, report } = await convertKerasToTflite(fixture.model, { quantize: 'fp32', batchSize: 2 });
    // conv (2D), max pool, average pool, each on (N, 1, W, C): one reshape in, one out.
    expect(report.operatorHistogram).toEqual({ RESHAPE: 2, CONV_2D: 1, MAX_POOL_2D: 1, AVERAGE_POOL_2D: 1, FULLY_CONNECTED: 1, REDUCE_MAX: 1 });
    const conv = inspectTflite(bytes).operators.find((op) => op.name === 'CONV_2D')!;
    expect(conv.options?.['fusedActivationFunction']).toBe('RELU');
    const fc = inspectTflite(bytes).operators.find((op) => op.name === 'FULLY_CONNECTED')!;
    expect(fc.options?.['keepNumDims']).toBe(true); // Dense on a rank-3 input
  });
});

describe('graph quality', () => {
  it('convnet: BatchNorms folded, ReLU/ReLU6 fused, the PyTorch-style padding stays an explicit PAD', async () => {
    const loaded = await loadFixtureModel('convnet');
    const { bytes, report } = await convertFixture(loaded, { quantize: 'fp32' });
    // Keras: conv1 bn1 relu6 pad dw bn2 relu6 gconv bn3 relu avgpool flatten fc.
    expect(report.operatorHistogram).toEqual({ CONV_2D: 2, AVERAGE_POOL_2D: 1, DEPTHWISE_CONV_2D: 1, FULLY_CONNECTED: 1, PAD: 1, RESHAPE: 1 });
    const ops = inspectTflite(bytes).operators;
    expect(ops.map((op) => `${op.name}:${op.options?.['fusedActivationFunction'] ?? '-'}`)).toEqual([
      'CONV_2D:RELU6',
      'PAD:-',
      'DEPTHWISE_CONV_2D:RELU6',
      'CONV_2D:RELU', // the grouped 1x1 convolution, one CONV_2D with a (8, 1, 1, 4) filter
      'AVERAGE_POOL_2D:NONE',
      'RESHAPE:-',
      'FULLY_CONNECTED:NONE',
    ]);
    // PyTorch pads (1, 1) for its stride-2 3x3 depthwise conv on 16x16; SAME would pad (0, 1).
    expect(report.rewrites.some((r) => r.kind === 'merge-padding')).toBe(false);
    const mapping = Object.fromEntries(report.layers.map((l) => [l.layer, l]));
    expect(mapping['bn1']).toMatchObject({ fused: true });
    expect(mapping['conv1']).toMatchObject({ fused: true, tensor: mapping['bn1']!.tensor });
  });

  it('conv1d: BatchNorm folded and ReLU fused through the 1D reshapes, which cancel between the convolutions', async () => {
    const loaded = await loadFixtureModel('conv1d');
    const { report } = await convertFixture(loaded, { quantize: 'fp32' });
    expect(report.operatorHistogram).toEqual({ CONV_2D: 2, RESHAPE: 2 });
  });

  it('zero TRANSPOSE in every CNN fixture and variant', async () => {
    for (const name of CNN_FIXTURES) {
      const loaded = await loadFixtureModel(name);
      for (const quantize of QUANTIZE_VARIANTS) {
        const { bytes } = await convertFixture(loaded, { quantize, ...(quantize === 'int8' ? { representativeData: representativeSamples(loaded, 2) } : {}) });
        expect(inspectTflite(bytes).operatorHistogram['TRANSPOSE'] ?? 0, `${name} ${quantize}`).toBe(0);
      }
    }
  });

  it('a Permute layer (a real transpose) becomes one TRANSPOSE and matches Keras', async () => {
    const input = tf.input({ shape: [4, 6, 3], name: 'x' });
    const permuted = tf.layers.permute({ dims: [3, 1, 2], name: 'nchw' }).apply(input) as tf.SymbolicTensor;
    const soft = tf.layers.softmax({ axis: -1, name: 'soft' }).apply(permuted) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: soft });
    const x = seededInput([1, 4, 6, 3], STANDARD_NORMAL, 5);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x.data as Float32Array, [1, 4, 6, 3])) as tf.Tensor).dataSync());
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'fp32' });
    expect(report.operatorHistogram).toEqual({ TRANSPOSE: 1, SOFTMAX: 1 });
    const runner = await createTfliteRunner(bytes);
    const [y] = await runner.run([x]);
    await runner.dispose();
    expect(relativeError(y!, new Tensor('float32', [1, 3, 4, 6], Float32Array.from(expected))).maxAbsDiff).toBeLessThanOrEqual(FP32_TOLERANCE);
  });

  it('UpSampling2D bilinear follows tfjs (align_corners = half_pixel_centers = false), checked against tfjs', async () => {
    // PyTorch has no bilinear mode with TF1's coordinates, so the reference is the Keras model itself.
    const input = tf.input({ shape: [5, 5, 2], name: 'x' });
    const model = tf.model({ inputs: input, outputs: tf.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }).apply(input) as tf.SymbolicTensor });
    const x = seededInput([1, 5, 5, 2], STANDARD_NORMAL, 6);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x.data as Float32Array, [1, 5, 5, 2])) as tf.Tensor).dataSync());
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'fp32' });
    expect(report.operatorHistogram).toEqual({ RESIZE_BILINEAR: 1 });
    const runner = await createTfliteRunner(bytes);
    const [y] = await runner.run([x]);
    await runner.dispose();
    expect(relativeError(y!, new Tensor('float32', [1, 10, 15, 2], Float32Array.from(expected))).maxAbsDiff).toBeLessThanOrEqual(FP32_TOLERANCE);
  });

  it('TANH is not fused: LiteRT ignores a fused TANH on CONV_2D (checked here against the runtime)', async () => {
    const conv = (activation: 'NONE' | 'TANH') => {
      const g = new TfliteGraphBuilder();
      const x = g.input('x', 'float32', [1, 4, 4, 2]);
      const y = g.activation('y', 'float32', [1, 4, 4, 2]);
      g.op('CONV_2D', [x, g.constant('w', Tensor.fromNumbers([2, 1, 1, 2], [3, 0, 0, 3])), g.constant('b', Tensor.fromNumbers([2], [0, 0]))], [y], {
        padding: 'SAME',
        strideH: 1,
        strideW: 1,
        fusedActivationFunction: activation,
      });
      g.output(y);
      return writeTflite(g.build());
    };
    const x = seededInput([1, 4, 4, 2], STANDARD_NORMAL, 1);
    const results = [];
    for (const activation of ['NONE', 'TANH'] as const) {
      const runner = await createTfliteRunner(conv(activation));
      results.push((await runner.run([x]))[0]!);
      await runner.dispose();
    }
    expect(Array.from(results[1]!.data as Float32Array)).toEqual(Array.from(results[0]!.data as Float32Array));
    expect(Math.max(...Array.from(results[1]!.data as Float32Array, Math.abs))).toBeGreaterThan(1); // tanh would be < 1
  });
});

describe('GroupedConv2D', () => {
  it('as one CONV_2D with a grouped filter (the default) and as SPLIT + CONV_2D + CONCATENATION, both at 1e-5', async () => {
    const loaded = await loadFixtureModel('convnet');
    const counts: Record<string, number> = {};
    for (const strategy of ['grouped-filter', 'split'] as const) {
      const { bytes, report } = await convertFixture(loaded, { quantize: 'fp32', groupedConvolution: strategy });
      const [output] = await runConverted(loaded, bytes);
      expect(relativeError(torchLayout(loaded, output!), loaded.fixture.torchOutput).maxAbsDiff).toBeLessThanOrEqual(FP32_TOLERANCE);
      counts[strategy] = report.operatorCount;
    }
    // split: 4 groups -> SPLIT + 4 CONV_2D + CONCATENATION, and bn3 can no longer fold (MUL + ADD).
    expect(counts['split']! - counts['grouped-filter']!).toBe(1 + 3 + 1 + 2);
  });
});

describe('file size', () => {
  it('fp32 is the (folded) weights plus a few KB; fp16 and int8 weights are smaller', async () => {
    for (const name of KERAS_FIXTURES) {
      const loaded = await loadFixtureModel(name);
      const fp32 = (await convertFixture(loaded, { quantize: 'fp32' })).report;
      expect(fp32.fileBytes, name).toBeLessThanOrEqual(fp32.kerasWeightBytes + 4096);
      expect(fp32.fileBytes - fp32.constantBytes, name).toBeLessThanOrEqual(4096);
      const fp16 = (await convertFixture(loaded, { quantize: 'fp16' })).report;
      expect(fp16.constantBytes, name).toBeLessThan(fp32.constantBytes);
    }
  });
});

describe('debug mode', () => {
  it('exposes every surviving Keras layer tensor as an output named after the layer, equal to the Keras intermediate', async () => {
    const loaded = await loadFixtureModel('convnet');
    const { bytes, report } = await convertFixture(loaded, { quantize: 'fp32', debug: true });
    const runner = await createTfliteRunner(bytes);
    const outputs = await runner.run([loaded.input]);
    await runner.dispose();
    expect(runner.outputNames.slice(1)).toEqual(report.debugOutputs);
    expect(report.debugOutputs.length).toBeGreaterThanOrEqual(5);
    const layers = report.debugOutputs.map((name) => loaded.model.getLayer(name));
    const probe = tf.model({ inputs: loaded.model.inputs, outputs: layers.map((layer) => layer.output as tf.SymbolicTensor) });
    const expected = tf.tidy(() => (probe.predict(tf.tensor(loaded.input.data as Float32Array, [...loaded.input.shape])) as tf.Tensor[]).map((t) => t.dataSync()));
    report.debugOutputs.forEach((name, i) => {
      const actual = outputs[i + 1]!;
      expect(relativeError(actual, new Tensor('float32', actual.shape, Float32Array.from(expected[i]!))).maxAbsDiff, name).toBeLessThanOrEqual(FP32_TOLERANCE);
    });
  });

  it('int8 debug outputs are dequantized float32 tensors with the same names', async () => {
    const loaded = await loadFixtureModel('convnet');
    const fp32 = await convertFixture(loaded, { quantize: 'fp32', debug: true });
    const int8 = await convertFixture(loaded, { quantize: 'int8', debug: true, representativeData: representativeSamples(loaded) });
    expect(int8.report.debugOutputs).toEqual(fp32.report.debugOutputs);
    expect(int8.report.outputs.every((o) => o.type === 'float32')).toBe(true);
    const a = await runConverted(loaded, fp32.bytes);
    const b = await runConverted(loaded, int8.bytes);
    a.forEach((tensor, i) => expect(relativeError(b[i]!, tensor).relative).toBeLessThanOrEqual(INT8_RELATIVE));
  });
});

describe('full int8 details', () => {
  it('int8 I/O: int8 input and output, no QUANTIZE/DEQUANTIZE, same numbers as the float-I/O variant within one output step', async () => {
    const loaded = await loadFixtureModel('convnet');
    const samples = representativeSamples(loaded);
    const floatIo = await convertFixture(loaded, { quantize: 'int8', representativeData: samples, executeModel: executeTflite });
    const int8Io = await convertFixture(loaded, { quantize: 'int8', int8Io: true, representativeData: samples });
    expect(int8Io.report.inputs[0]!.type).toBe('int8');
    expect(int8Io.report.outputs[0]!.type).toBe('int8');
    expect(int8Io.report.operatorHistogram['QUANTIZE']).toBeUndefined();
    expect(int8Io.report.operatorHistogram['DEQUANTIZE']).toBeUndefined();
    const inspection = inspectTflite(int8Io.bytes);
    const inQ = inspection.inputs[0]!.quantization!;
    const outQ = inspection.outputs[0]!.quantization!;
    const x = loaded.input.data as Float32Array;
    const xq = new Tensor(
      'int8',
      loaded.input.shape,
      Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / inQ.scale[0]!) + inQ.zeroPoint[0]!))),
    );
    const [yq] = await runConverted(loaded, int8Io.bytes, xq);
    expect(yq!.dtype).toBe('int8');
    const y = new Tensor(
      'float32',
      yq!.shape,
      Float32Array.from(yq!.data as Int8Array, (q) => (q - outQ.zeroPoint[0]!) * outQ.scale[0]!),
    );
    checkParity('int8', torchLayout(loaded, y), loaded.fixture.torchOutput);
    const [yFloatIo] = await runConverted(loaded, floatIo.bytes);
    expect(relativeError(y, yFloatIo!).maxAbsDiff).toBeLessThanOrEqual(outQ.scale[0]! * 1.0001);
  });

  it('follows the quantization spec: per-channel weights on the output axis, int32 bias at input x weight scale, fixed LOGISTIC/SOFTMAX outputs, shared CONCATENATION scale', async () => {
    const fixture = await loadLoweringFixture('ops2d');
    const samples = Array.from({ length: 4 }, (_, s) => [seededInput(fixture.input.shape, STANDARD_NORMAL, 3000 + s)]);
    const { bytes, report } = await convertKerasToTflite(fixture.model, { quantize: 'int8', representativeData: samples, executeModel: executeTflite });
    expect(report.calibration).toMatchObject({ samples: 4, method: 'min-max' });
    expect(report.calibration!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const { operators, tensors } = inspectTflite(bytes);
    const q = (index: number) => tensors[index]!.quantization!;
    for (const op of operators) {
      if (op.name === 'CONV_2D') {
        const [input, filter, bias] = op.inputs.map((i) => tensors[i]!);
        expect(filter!.type).toBe('int8');
        expect(filter!.quantization!.quantizedDimension).toBe(0);
        expect(filter!.quantization!.scale).toHaveLength(filter!.shape[0]!);
        expect(filter!.quantization!.zeroPoint.every((z) => z === 0)).toBe(true);
        expect(bias!.type).toBe('int32');
        bias!.quantization!.scale.forEach((s, c) => expect(s).toBe(Math.fround(input!.quantization!.scale[0]! * filter!.quantization!.scale[c]!)));
      }
      if (op.name === 'LOGISTIC' || op.name === 'SOFTMAX') expect(q(op.outputs[0]!)).toMatchObject({ scale: [1 / 256], zeroPoint: [-128] });
      if (op.name === 'MAX_POOL_2D' || op.name === 'AVERAGE_POOL_2D') expect(q(op.outputs[0]!)).toMatchObject({ scale: q(op.inputs[0]!).scale, zeroPoint: q(op.inputs[0]!).zeroPoint });
      if (op.name === 'CONCATENATION') for (const input of op.inputs) expect(q(input)).toMatchObject({ scale: q(op.outputs[0]!).scale, zeroPoint: q(op.outputs[0]!).zeroPoint });
    }
    expect(report.floatOperators).toEqual([]);
  });

  it('ReLU with max_value 4 (RELU + MINIMUM) keeps its clamp in int8: the constant shares the MINIMUM scale', async () => {
    const input = tf.input({ shape: [6, 6, 2], name: 'x' });
    const model = tf.model({ inputs: input, outputs: tf.layers.reLU({ maxValue: 4, name: 'clip' }).apply(input) as tf.SymbolicTensor });
    const x = seededInput([1, 6, 6, 2], { kind: 'uniform', low: -6, high: 6 }, 11);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x.data as Float32Array, [1, 6, 6, 2])) as tf.Tensor).dataSync());
    const samples = Array.from({ length: 4 }, (_, s) => [seededInput([1, 6, 6, 2], { kind: 'uniform', low: -6, high: 6 }, 20 + s)]);
    const { bytes } = await convertKerasToTflite(model, { quantize: 'int8', representativeData: samples, executeModel: executeTflite });
    const runner = await createTfliteRunner(bytes);
    const [y] = await runner.run([x]);
    await runner.dispose();
    // Input, RELU output and MINIMUM output each round by half a step; the input step (range 12)
    // is twice the output step (range 6): at most 2 output steps in all.
    const step = outputSteps(bytes)[0]!;
    expect(relativeError(y!, new Tensor('float32', [1, 6, 6, 2], Float32Array.from(expected))).maxAbsDiff).toBeLessThanOrEqual(2 * step);
    expect(Math.max(...Array.from(y!.data as Float32Array))).toBeLessThanOrEqual(4 + step / 2); // the clamp at 4 holds
  });

  it('refuses int8 without representative data, and int8Io on other variants', async () => {
    const loaded = await loadFixtureModel('seed_conv');
    await expect(convertFixture(loaded, { quantize: 'int8' })).rejects.toThrow(ConversionOptionsError);
    await expect(convertFixture(loaded, { quantize: 'fp16', int8Io: true })).rejects.toThrow(/int8Io applies to quantize 'int8' only/);
  });
});

describe('the lowering table', () => {
  it('lists every layer it cannot lower at once, with its class and what to do', async () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'x' });
    const a = tf.layers.separableConv2d({ filters: 2, kernelSize: 3, name: 'separable' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'selu', name: 'soft_conv' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [a, b] });
    const error = await convertKerasToTflite(model, { quantize: 'fp32' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerasLoweringError);
    const problems = (error as KerasLoweringError).problems;
    expect(problems.map((p) => `${p.layer}:${p.className}`)).toEqual(['separable:SeparableConv2D', 'soft_conv:Conv2D']);
    expect(problems[0]!.problem).toMatch(/has no TFLite lowering: a torchport layer class lowers itself with a lower\(ctx, settings\) method/);
    expect(problems[1]!.problem).toMatch(/activation 'selu'/);
  });

  it('a layer class that is not in the table lowers itself through its lower() method, checked against Keras', async () => {
    class Negate extends tf.layers.Layer {
      static readonly className = 'NegateForLowerTest';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.neg(Array.isArray(inputs) ? inputs[0]! : inputs);
      }
      lower(ctx: LoweringContext) {
        return ctx.op('NEG', [ctx.inputs[0]!], { shape: ctx.outputShapes[0]! });
      }
    }
    const input = tf.input({ shape: [6, 7, 2], name: 'x' });
    const model = tf.model({ inputs: input, outputs: new Negate({ name: 'negate' }).apply(input) as tf.SymbolicTensor });
    const x = seededInput([1, 6, 7, 2], STANDARD_NORMAL, 9);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x.data as Float32Array, [1, 6, 7, 2])) as tf.Tensor).dataSync());
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'fp32' });
    expect(report.operatorHistogram).toEqual({ NEG: 1 });
    const runner = await createTfliteRunner(bytes);
    const [y] = await runner.run([x]);
    await runner.dispose();
    expect(Array.from(y!.data as Float32Array)).toEqual(Array.from(expected));
  });
});
