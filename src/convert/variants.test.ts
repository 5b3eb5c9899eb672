// Structure of the fp16 and full-int8 files on real goldens, read back from the bytes written.
// - fp16: every float constant a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED reads (filter and
//   bias) is float16 + DEQUANTIZE; with a float32 bias LiteRT's XNNPACK delegate leaves the
//   convolution to the builtin kernels (4x slower than fp32, scripts/bench-variants.ts).
// - int8: the inputs of every CONCATENATION carry its output's parameters from calibration, so no
//   QUANTIZE re-scales an int8 tensor before it (they did on squeezenet, inception, densenet, unet).
// - int8 calibration runs through the injected executeModel, once per sample for min-max and
//   twice for a histogram observer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadGolden } from '../golden/index.ts';
import { executeTflite } from '../runtimes/tflite/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { inspectTflite, type TfliteInspection } from '../tflite/index.ts';
import { convertKerasToTflite } from '../tflite/lower/index.ts';
import { buildKeras, defaultRepresentative, lowerToTflite, toKerasLayout } from './index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const open = (name: string) => loadGolden(path.join(ROOT, 'golden', name));

function producer(inspection: TfliteInspection, tensor: number) {
  return inspection.operators.find((op) => op.outputs.includes(tensor));
}

describe('fp16 variant', () => {
  it.each(['resnet_basic_block', 'mobilenet_v2_inverted_residual', 'efficientnet_mbconv'])('%s: kernels read float16 filters and biases through DEQUANTIZE', async (name) => {
    const golden = await open(name);
    const inspection = inspectTflite((await lowerToTflite(await buildKeras(golden), golden, 'fp16')).bytes);
    const kernels = inspection.operators.filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.name));
    expect(kernels.length).toBeGreaterThan(0);
    for (const op of kernels) {
      for (const input of op.inputs.slice(1).filter((i) => i >= 0)) {
        const dequantize = producer(inspection, input);
        expect(dequantize?.name, `${op.name} input ${inspection.tensors[input]!.name}`).toBe('DEQUANTIZE');
        expect(inspection.tensors[dequantize!.inputs[0]!]!.type).toBe('float16');
      }
    }
  });
});

describe('full int8: shared scales across concatenation inputs', () => {
  it.each(['squeezenet_fire', 'inception_branches', 'densenet_dense_block', 'unet_decoder', 'shufflenet_channel_shuffle'])(
    '%s: no int8 re-quantization, every concatenation input on its output scale',
    async (name) => {
      const golden = await open(name);
      const result = await lowerToTflite(await buildKeras(golden), golden, 'int8');
      expect(result.report.calibration!.requantizations).toBe(0);
      const inspection = inspectTflite(result.bytes);
      const concatenations = inspection.operators.filter((op) => op.name === 'CONCATENATION');
      expect(concatenations.length).toBeGreaterThan(0);
      for (const op of concatenations) {
        const output = inspection.tensors[op.outputs[0]!]!.quantization;
        for (const input of op.inputs) {
          expect(inspection.tensors[input]!.quantization?.scale).toEqual(output?.scale);
          expect(inspection.tensors[input]!.quantization?.zeroPoint).toEqual(output?.zeroPoint);
          expect(producer(inspection, input)?.name).not.toBe('QUANTIZE');
        }
      }
    },
  );
});

describe('int8 calibration through the injected executeModel', () => {
  it.each([
    ['min-max', 1],
    ['mse', 2],
  ] as const)('%s runs the calibration model over the samples %i time(s), and the observer is recorded', async (observer, passes) => {
    const golden = await open('seed_single_conv');
    const keras = await buildKeras(golden);
    const samples = defaultRepresentative(golden)
      .samples.slice(0, 4)
      .map((sample) => toKerasLayout(sample, keras.io.inputs));
    const calls: number[] = [];
    const executeModel = (bytes: Uint8Array, inputs: readonly (readonly Tensor[])[]) => {
      calls.push(inputs.length);
      return executeTflite(bytes, inputs);
    };
    const { report } = await convertKerasToTflite(keras.model, { quantize: 'int8', representativeData: samples, executeModel, observer });
    expect(calls).toEqual(Array(passes).fill(4));
    expect(report.calibration).toMatchObject({ method: observer, samples: 4 });
  });

  it('is required for int8, and the observer must be known', async () => {
    const golden = await open('seed_single_conv');
    const keras = await buildKeras(golden);
    const samples = defaultRepresentative(golden)
      .samples.slice(0, 1)
      .map((sample) => toKerasLayout(sample, keras.io.inputs));
    await expect(convertKerasToTflite(keras.model, { quantize: 'int8', representativeData: samples })).rejects.toThrow(/needs executeModel/);
    await expect(convertKerasToTflite(keras.model, { quantize: 'int8', representativeData: samples, executeModel: executeTflite, observer: 'median' as never })).rejects.toThrow(
      /observer must be one of min-max, percentile, mse, entropy/,
    );
  });
});
