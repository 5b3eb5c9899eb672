// The writer's bytes, run by the official runtime (LiteRT.js), against references PyTorch
// computed (scripts/make_tflite_references.py). Float models must agree to 1e-5; quantized
// ones within bounds derived from their quantization parameters (see each test).
import { afterAll, describe, expect, it } from 'vitest';
import { createTfliteRunner } from '../runtimes/tflite/index.ts';
import type { Runner } from '../runtimes/index.ts';
import { Tensor } from '../tensor/index.ts';
import { TfliteGraphBuilder, readTflite, writeTflite, type TfliteModel } from './index.ts';
import { errorMetrics } from '../harness/compare/index.ts';
import { fixture, values } from './testing/fixtures.ts';
import { atMost } from '../../test/support/tolerance.ts';

const FLOAT_TOLERANCE = 1e-5;
const runners: Runner[] = [];

async function run(model: TfliteModel, inputs: Tensor[]): Promise<Tensor[]> {
  const runner = await createTfliteRunner(writeTflite(model), { name: model.description });
  runners.push(runner);
  return runner.run(inputs);
}

afterAll(async () => {
  for (const runner of runners) await runner.dispose();
});

function floatConv(testCase: string, options: { padding: 'SAME' | 'VALID'; stride: number; activation: 'NONE' | 'RELU6' }): TfliteModel {
  const input = fixture(testCase, 'input');
  const filter = fixture(testCase, 'filter');
  const output = fixture(testCase, 'output');
  const g = new TfliteGraphBuilder();
  const x = g.input('input', 'float32', input.shape);
  const w = g.constant('filter', filter);
  const b = g.constant('bias', fixture(testCase, 'bias'));
  const y = g.activation('output', 'float32', output.shape);
  g.op('CONV_2D', [x, w, b], [y], { padding: options.padding, strideW: options.stride, strideH: options.stride, fusedActivationFunction: options.activation });
  g.output(y);
  return g.build(testCase);
}

describe('float32 models in LiteRT match PyTorch to 1e-5', () => {
  it('CONV_2D, SAME padding, fused RELU6', async () => {
    const [y] = await run(floatConv('conv_relu6_same', { padding: 'SAME', stride: 1, activation: 'RELU6' }), [fixture('conv_relu6_same', 'input')]);
    const expected = fixture('conv_relu6_same', 'output');
    expect(y!).toMatchReference(expected, atMost(FLOAT_TOLERANCE));
    // The clamp really happened: the reference has values at both RELU6 bounds.
    expect(values(expected).some((v) => v === 0) && values(expected).some((v) => v === 6)).toBe(true);
  });

  it('CONV_2D, VALID padding, stride 2', async () => {
    const [y] = await run(floatConv('conv_valid_stride2', { padding: 'VALID', stride: 2, activation: 'NONE' }), [fixture('conv_valid_stride2', 'input')]);
    expect(y!.shape).toEqual([1, 4, 4, 5]);
    expect(y!).toMatchReference(fixture('conv_valid_stride2', 'output'), atMost(FLOAT_TOLERANCE));
  });

  it('DEPTHWISE_CONV_2D (1HWC filter), fused RELU', async () => {
    const c = 'depthwise';
    const input = fixture(c, 'input');
    const g = new TfliteGraphBuilder();
    const x = g.input('input', 'float32', input.shape);
    const w = g.constant('filter', fixture(c, 'filter'));
    const b = g.constant('bias', fixture(c, 'bias'));
    const y = g.activation('output', 'float32', [1, 7, 7, 4]);
    g.op('DEPTHWISE_CONV_2D', [x, w, b], [y], { padding: 'SAME', strideW: 1, strideH: 1, depthMultiplier: 1, fusedActivationFunction: 'RELU' });
    g.output(y);
    const [out] = await run(g.build(c), [input]);
    expect(out!).toMatchReference(fixture(c, 'output'), atMost(FLOAT_TOLERANCE));
  });

  it('FULLY_CONNECTED with bias, batch of 2', async () => {
    const c = 'fully_connected';
    const g = new TfliteGraphBuilder();
    const x = g.input('input', 'float32', [2, 6]);
    const w = g.constant('weights', fixture(c, 'weights'));
    const b = g.constant('bias', fixture(c, 'bias'));
    const y = g.activation('output', 'float32', [2, 5]);
    g.op('FULLY_CONNECTED', [x, w, b], [y], {});
    g.output(y);
    const [out] = await run(g.build(c), [fixture(c, 'input')]);
    expect(out!).toMatchReference(fixture(c, 'output'), atMost(FLOAT_TOLERANCE));
  });

  it('ADD broadcasting [3, 1] against [2, 3, 4], two graph inputs', async () => {
    const c = 'add_broadcast';
    const g = new TfliteGraphBuilder();
    const a = g.input('a', 'float32', [2, 3, 4]);
    const b = g.input('b', 'float32', [3, 1]);
    const y = g.activation('output', 'float32', [2, 3, 4]);
    g.op('ADD', [a, b], [y], {});
    g.output(y);
    const [out] = await run(g.build(c), [fixture(c, 'a'), fixture(c, 'b')]);
    expect(out!).toMatchReference(fixture(c, 'output'), atMost(FLOAT_TOLERANCE));
  });

  it('MEAN over H and W (global average pooling)', async () => {
    const c = 'mean';
    const g = new TfliteGraphBuilder();
    const x = g.input('input', 'float32', [1, 6, 6, 5]);
    const axes = g.int32Constant('axes', [1, 2]);
    const y = g.activation('output', 'float32', [1, 5]);
    g.op('MEAN', [x, axes], [y], { keepDims: false });
    g.output(y);
    const [out] = await run(g.build(c), [fixture(c, 'input')]);
    expect(out!).toMatchReference(fixture(c, 'output'), atMost(FLOAT_TOLERANCE));
  });

  it('float16 filter + DEQUANTIZE feeding CONV_2D (float32 activations)', async () => {
    const c = 'conv_float16_weights';
    const filter = fixture(c, 'filter_fp16');
    expect(filter.dtype).toBe('float16');
    const g = new TfliteGraphBuilder();
    const x = g.input('input', 'float32', [1, 8, 8, 3]);
    const w16 = g.constant('filter_fp16', filter);
    const w = g.activation('filter', 'float32', filter.shape);
    g.op('DEQUANTIZE', [w16], [w]);
    const b = g.constant('bias', fixture(c, 'bias'));
    const y = g.activation('output', 'float32', [1, 8, 8, 4]);
    g.op('CONV_2D', [x, w, b], [y], { padding: 'SAME', strideW: 1, strideH: 1 });
    g.output(y);
    const model = g.build(c);
    const bytes = writeTflite(model);
    expect(readTflite(bytes).operatorCodes.find((code) => code.name === 'DEQUANTIZE')?.version).toBe(3);
    const [out] = await run(model, [fixture(c, 'input')]);
    expect(out!).toMatchReference(fixture(c, 'output'), atMost(FLOAT_TOLERANCE));
  });
});

describe('quantized models in LiteRT', () => {
  it('hybrid (dynamic-range) int8 CONV_2D with per-channel scales on dimension 0', async () => {
    const c = 'conv_hybrid_int8';
    const input = fixture(c, 'input');
    const q = fixture(c, 'filter_int8');
    const scales = values(fixture(c, 'filter_scale'));
    const g = new TfliteGraphBuilder();
    const x = g.input('input', 'float32', input.shape);
    const w = g.constant('filter', q, { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 });
    const b = g.constant('bias', fixture(c, 'bias'));
    const y = g.activation('output', 'float32', [1, 8, 8, 4]);
    g.op('CONV_2D', [x, w, b], [y], { padding: 'SAME', strideW: 1, strideH: 1 });
    g.output(y);
    const model = g.build(c);
    expect(readTflite(writeTflite(model)).operatorCodes[0]!.version).toBe(5);
    const [out] = await run(model, [input]);

    // The reference already uses the dequantized filter, so the only error left is the
    // runtime quantizing the input on the fly. Whatever scheme it uses (symmetric per tensor:
    // step max|x|/127, or asymmetric per batch: step range/255 <= 2 max|x|/255), each input
    // value moves by at most half a step <= max|x|/254, so output channel c moves by at most
    // max|x|/254 * sum|w_c| (the L1 norm of its dequantized filter). Plus float rounding.
    const maxInput = Math.max(...values(input).map(Math.abs));
    const filter = values(q);
    const perChannel = filter.length / scales.length;
    const l1 = scales.map((s, channel) => filter.slice(channel * perChannel, (channel + 1) * perChannel).reduce((sum, v) => sum + Math.abs(v) * s, 0));
    const bound = (maxInput / 254) * Math.max(...l1) + FLOAT_TOLERANCE;
    expect(out!).toMatchReference(fixture(c, 'output'), atMost(bound));
    // Not trivially passing: the output is far larger than the bound.
    expect(Math.max(...values(fixture(c, 'output')).map(Math.abs))).toBeGreaterThan(10 * bound);
  });

  function fullInt8Conv(io: 'float' | 'int8'): TfliteModel {
    const c = 'conv_full_int8';
    const [scaleIn, zpIn, scaleOut, zpOut] = values(fixture(c, 'io_quantization'));
    const filter = fixture(c, 'filter_int8');
    const filterScales = values(fixture(c, 'filter_scale'));
    // Bias scale = input scale x filter scale, per output channel (the kernel's requirement).
    const biasScales = filterScales.map((s) => Math.fround(scaleIn!) * s);
    const inputQ = { scale: [scaleIn!], zeroPoint: [zpIn!], quantizedDimension: 0 };
    const outputQ = { scale: [scaleOut!], zeroPoint: [zpOut!], quantizedDimension: 0 };
    const g = new TfliteGraphBuilder();
    let x: number;
    if (io === 'float') {
      const xf = g.input('input', 'float32', [1, 8, 8, 3]);
      x = g.activation('input_int8', 'int8', [1, 8, 8, 3], inputQ);
      g.op('QUANTIZE', [xf], [x]);
    } else {
      x = g.input('input_int8', 'int8', [1, 8, 8, 3], inputQ);
    }
    const w = g.constant('filter', filter, { scale: filterScales, zeroPoint: filterScales.map(() => 0), quantizedDimension: 0 });
    const b = g.constant('bias', fixture(c, 'bias_int32'), { scale: biasScales, zeroPoint: biasScales.map(() => 0), quantizedDimension: 0 });
    const y = g.activation('output_int8', 'int8', [1, 8, 8, 4], outputQ);
    g.op('CONV_2D', [x, w, b], [y], { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU' });
    if (io === 'float') {
      const yf = g.activation('output', 'float32', [1, 8, 8, 4]);
      g.op('DEQUANTIZE', [y], [yf]);
      g.output(yf);
    } else {
      g.output(y);
    }
    return g.build(`${c}_${io}_io`);
  }

  it('full-integer int8 CONV_2D with QUANTIZE/DEQUANTIZE at float I/O and int32 bias', async () => {
    const c = 'conv_full_int8';
    const model = fullInt8Conv('float');
    const codes = readTflite(writeTflite(model)).operatorCodes;
    expect(codes.map((code) => `${code.name}/${code.version}`)).toEqual(['QUANTIZE/2', 'CONV_2D/3', 'DEQUANTIZE/2']);
    const [out] = await run(model, [fixture(c, 'input')]);
    const scaleOut = values(fixture(c, 'io_quantization'))[2]!;
    // Against torch simulating the integer kernel: LiteRT requantizes with a fixed-point
    // multiplier whose rounding may differ from exact rounding by one output step.
    expect(out!).toMatchReference(fixture(c, 'output_dequantized'), atMost(scaleOut * (1 + 1e-5)));
    // Against torch's float conv: the quantized model tracks it closely in direction.
    expect(errorMetrics(out!, fixture(c, 'output_float')).cosineSimilarity).toBeGreaterThan(0.999);
  });

  it('the same model with int8 inputs and outputs (no QUANTIZE/DEQUANTIZE)', async () => {
    const c = 'conv_full_int8';
    const runner = await createTfliteRunner(writeTflite(fullInt8Conv('int8')));
    runners.push(runner);
    const [out] = await runner.run([fixture(c, 'input_int8')]);
    expect(out!.dtype).toBe('int8');
    // One quantization step, as above, now counted in integers.
    expect(out!).toMatchReference(fixture(c, 'output_int8'), atMost(1));
  });
});

describe('file size', () => {
  it('a float32 model is its weight bytes plus a few KB of structure', () => {
    const g = new TfliteGraphBuilder();
    let x = g.input('input', 'float32', [1, 16, 16, 32]);
    let weightBytes = 0;
    for (let layer = 0; layer < 4; layer++) {
      // Distinct values per layer so deduplication does not merge the filters.
      const filter = Tensor.fromNumbers(
        [32, 3, 3, 32],
        Array.from({ length: 32 * 9 * 32 }, (_, i) => Math.sin(i + layer * 1e4)),
      );
      const bias = Tensor.fromNumbers(
        [32],
        Array.from({ length: 32 }, (_, i) => layer + i / 32),
      );
      weightBytes += filter.byteLength + bias.byteLength;
      const y = g.activation(`conv${layer}`, 'float32', [1, 16, 16, 32]);
      g.op('CONV_2D', [x, g.constant(`conv${layer}.weight`, filter), g.constant(`conv${layer}.bias`, bias)], [y], { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU' });
      x = y;
    }
    g.output(x);
    const bytes = writeTflite(g.build());
    expect(bytes.byteLength).toBeGreaterThan(weightBytes);
    expect(bytes.byteLength - weightBytes).toBeLessThan(4096);
  });
});
