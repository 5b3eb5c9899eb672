// Test support for the converter: the Keras fixtures with their torch references, converted and
// run in LiteRT.
import type * as tf from '@tensorflow/tfjs';
import { buildKerasModel, kerasInputOf, loadKerasFixture, toTorchLayout, type KerasFixture, type KerasFixtureName } from '../../keras/fixtures/index.ts';
import { transferWeights } from '../../keras/transfer/index.ts';
import { createTfliteRunner } from '../../runtimes/tflite/index.ts';
import { STANDARD_NORMAL, Tensor, seededInput } from '../../tensor/index.ts';
import { convertKerasToTflite, type ConversionResult, type ConvertOptions } from './index.ts';

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
      const vocab = (loaded.model.layers.find((l) => l.getClassName() === 'Embedding')!.getConfig()['inputDim'] as number);
      const u = seededInput(loaded.input.shape, { kind: 'uniform', low: 0, high: vocab }, 1000 + s);
      return [new Tensor('int32', u.shape, Int32Array.from(u.data as Float32Array, (v) => Math.min(vocab - 1, Math.floor(v))))];
    }
    return [seededInput(loaded.input.shape, STANDARD_NORMAL, 1000 + s)];
  });
}

export async function convertFixture(loaded: LoadedFixture, options: ConvertOptions): Promise<ConversionResult> {
  return convertKerasToTflite(loaded.model, { batchSize: loaded.input.shape[0], ...options });
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

/** max |a - b| / max |reference|. */
export function relativeError(actual: Tensor, reference: Tensor): { maxAbsDiff: number; maxAbsReference: number; relative: number } {
  if (actual.shape.join() !== reference.shape.join()) throw new Error(`shapes differ: [${actual.shape.join(', ')}] vs [${reference.shape.join(', ')}]`);
  const x = actual.toFloat32().data;
  const y = reference.toFloat32().data;
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= diff)) diff = d;
    ref = Math.max(ref, Math.abs(y[i]!));
  }
  return { maxAbsDiff: diff, maxAbsReference: ref, relative: diff / ref };
}
