// Test support for the converter: the Keras fixtures with their torch references, converted and
// run in LiteRT.
import { tf as tfjs } from '../../runtimes/tfjs/index.ts';
import type * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKerasModel, kerasInputOf, loadKerasFixture, toTorchLayout, type KerasFixture, type KerasFixtureName } from '../../keras/fixtures/index.ts';
import { transferWeights } from '../../keras/transfer/index.ts';
import { createTfliteRunner, executeTflite } from '../../runtimes/tflite/index.ts';
import { STANDARD_NORMAL, Tensor, decodeNpy, seededInput } from '../../tensor/index.ts';
import { decodeSafetensors } from '../../torch/index.ts';
import { inspectTflite } from '../index.ts';
import { convertKerasToTflite, type ConversionResult, type ConvertOptions } from './index.ts';
import { layerErrorMetrics } from '../../harness/compare/index.ts';

export interface LoadedFixture {
  readonly fixture: KerasFixture;
  readonly model: tf.LayersModel;
  /** The reference input in the Keras layout (int32 ids for the embedding). */
  readonly input: Tensor;
}

export async function loadFixtureModel(name: KerasFixtureName): Promise<LoadedFixture> {
  const fixture = await loadKerasFixture(name);
  const model = buildKerasModel(name);
  const report = transferWeights(fixture.stateDict, model);
  if (report.problems.length > 0) throw new Error(`weight transfer failed for ${name}`);
  let input = kerasInputOf(fixture);
  if (input.dtype === 'int64') input = new Tensor('int32', input.shape, Int32Array.from(input.toFloat32().data));
  return { fixture, model, input };
}

/**
 * Calibration samples drawn like the fixture's input (standard normal, or ids in [0, vocab)),
 * from seeds the reference input was not made with.
 */
export function representativeSamples(loaded: LoadedFixture, count = 32): Tensor[][] {
  return Array.from({ length: count }, (_, s) => {
    if (loaded.input.dtype === 'int32') {
      const vocab = loaded.model.layers.find((l) => l.getClassName() === 'Embedding')!.getConfig()['inputDim'] as number;
      const u = seededInput(loaded.input.shape, { kind: 'uniform', low: 0, high: vocab }, 1000 + s);
      return [
        new Tensor(
          'int32',
          u.shape,
          Int32Array.from(u.data as Float32Array, (v) => Math.min(vocab - 1, Math.floor(v))),
        ),
      ];
    }
    return [seededInput(loaded.input.shape, STANDARD_NORMAL, 1000 + s)];
  });
}

export async function convertFixture(loaded: LoadedFixture, options: ConvertOptions): Promise<ConversionResult> {
  return convertKerasToTflite(loaded.model, { batchSize: loaded.input.shape[0], executeModel: executeTflite, ...options });
}

/** Runs converted bytes in LiteRT on the fixture input; outputs back in torch layout (first output only unless all). */
export async function runConverted(loaded: LoadedFixture, bytes: Uint8Array, input: Tensor = loaded.input): Promise<Tensor[]> {
  const runner = await createTfliteRunner(bytes, { name: loaded.fixture.name });
  try {
    return await runner.run([input]);
  } finally {
    await runner.dispose();
  }
}

export function torchLayout(loaded: LoadedFixture, output: Tensor): Tensor {
  return toTorchLayout(loaded.fixture, output);
}

/** max |a - b| / max |reference|, from the harness's layer metrics (one NaN and infinity rule). */
export function relativeError(actual: Tensor, reference: Tensor): { maxAbsDiff: number; maxAbsReference: number; relative: number } {
  if (actual.shape.join() !== reference.shape.join()) throw new Error(`shapes differ: [${actual.shape.join(', ')}] vs [${reference.shape.join(', ')}]`);
  const { maxAbsDiff, maxAbsReference } = layerErrorMetrics(actual, reference);
  return { maxAbsDiff, maxAbsReference, relative: maxAbsDiff / maxAbsReference };
}

// The Keras side of scripts/make_lowering_references.py: same layer names as the torch modules,
// so the weights transfer by name.
export const LOWERING_FIXTURES = ['ops2d', 'seq1d'] as const;
export type LoweringFixtureName = (typeof LOWERING_FIXTURES)[number];

export interface LoweringFixture {
  readonly name: LoweringFixtureName;
  readonly model: tf.LayersModel;
  /** Input in the Keras layout. */
  readonly input: Tensor;
  /** Torch outputs, in the Keras output layout (NHWC feature maps). */
  readonly outputs: Tensor[];
}

const LOWERING_FIXTURE_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

export async function loadLoweringFixture(name: LoweringFixtureName): Promise<LoweringFixture> {
  const read = async (file: string) => new Uint8Array(await readFile(path.join(LOWERING_FIXTURE_DIR, `${name}.${file}`)));
  const stateDict = decodeSafetensors(await read('safetensors')).tensors;
  const torchInput = decodeNpy(await read('input.npy'));
  const torchOutputs = [decodeNpy(await read('output_0.npy')), decodeNpy(await read('output_1.npy'))];
  const model = buildLoweringModel(name);
  const report = transferWeights(stateDict, model);
  if (report.problems.length > 0 || report.unused.length > 0) throw new Error(`weight transfer into ${name}: ${JSON.stringify(report.problems)} unused ${JSON.stringify(report.unused)}`);
  const input = torchInput.toChannelsLast();
  const outputs = name === 'ops2d' ? [torchOutputs[0]!.toChannelsLast(), torchOutputs[1]!] : torchOutputs;
  return { name, model, input, outputs };
}

function buildLoweringModel(name: LoweringFixtureName): tf.LayersModel {
  const L = tfjs.layers;
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  if (name === 'ops2d') {
    const input = tfjs.input({ shape: [12, 12, 3], name: 'x' });
    let x = apply(L.zeroPadding2d({ padding: 1, name: 'stem_pad' }), input);
    x = apply(L.conv2d({ name: 'stem', filters: 8, kernelSize: 3, padding: 'valid' }), x);
    x = apply(L.batchNormalization({ name: 'stem_bn', epsilon: 1e-5 }), x);
    x = apply(L.leakyReLU({ alpha: 0.1, name: 'stem_act' }), x);
    const c = apply(L.concatenate({ name: 'pools' }), [apply(L.maxPooling2d({ poolSize: 2, name: 'max_pool' }), x), apply(L.averagePooling2d({ poolSize: 2, name: 'avg_pool' }), x)]);
    const m = apply(L.conv2d({ name: 'mix', filters: 8, kernelSize: 1, activation: 'sigmoid' }), c);
    const s = apply(L.conv2d({ name: 'side', filters: 8, kernelSize: 1, activation: 'elu' }), c);
    const t = apply(L.activation({ activation: 'tanh', name: 'tanh' }), apply(L.multiply({ name: 'ms' }), [m, s]));
    const p = apply(L.multiply({ name: 'product' }), [apply(L.average({ name: 'mean_ms' }), [m, s]), t]);
    const u = apply(L.add({ name: 'sum' }), [apply(L.maximum({ name: 'max_ms' }), [m, s]), p]);
    const up = apply(L.upSampling2d({ size: [2, 2], name: 'up' }), u);
    const h = apply(L.activation({ activation: 'swish', name: 'silu' }), apply(L.conv2d({ name: 'head', filters: 8, kernelSize: 3, padding: 'same', activation: 'gelu' }), up));
    const probs = apply(L.softmax({ name: 'probs' }), apply(L.dense({ name: 'fc', units: 4 }), apply(L.globalAveragePooling2d({ name: 'gap' }), h)));
    return tfjs.model({ inputs: input, outputs: [h, probs], name });
  }
  const input = tfjs.input({ shape: [16, 6], name: 'x' });
  let x = apply(L.conv1d({ name: 'conv', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }), input);
  x = apply(L.averagePooling1d({ poolSize: 2, name: 'avg_pool' }), apply(L.maxPooling1d({ poolSize: 2, name: 'max_pool' }), x));
  const y = apply(L.dense({ name: 'proj', units: 5 }), x);
  return tfjs.model({ inputs: input, outputs: [y, apply(L.globalMaxPooling1d({ name: 'max_over_time' }), y)], name });
}

/** For a float-I/O int8 model: the quantization step of each graph output (the DEQUANTIZE input's scale). */
export function outputSteps(bytes: Uint8Array): number[] {
  const { operators, tensors, outputs } = inspectTflite(bytes);
  return outputs.map((output) => {
    const dequantize = operators.find((op) => op.name === 'DEQUANTIZE' && op.outputs[0] === output.index);
    const scale = dequantize && tensors[dequantize.inputs[0]!]!.quantization?.scale[0];
    if (scale === undefined) throw new Error(`output ${output.name} is not a dequantized int8 tensor`);
    return scale;
  });
}
