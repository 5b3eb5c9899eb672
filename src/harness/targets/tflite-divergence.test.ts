// The TFLite first-divergence helper against the goldens: a correct conversion has no divergent
// layer at fp32, and a conversion broken on purpose (one convolution's filter with its output
// channels reversed, in the written TFLite file) is reported at exactly that convolution's layer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildKeras, lowerToTflite } from '../../convert/index.ts';
import { readTflite, writeTflite } from '../../tflite/index.ts';
import { listGoldenDirs, loadGolden } from '../../golden/index.ts';
import { LAYER_TOLERANCE, TfliteDivergenceError, convertForDivergence, tfliteLayerErrors } from './tflite-divergence.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const goldens = (await Promise.all((await listGoldenDirs(path.join(ROOT, 'golden'))).map((dir) => loadGolden(dir)))).filter((g) => !('error' in g.manifest.graph));

/** The file with the filter of the `nth` CONV_2D whose output is a compared layer reversed along its output channels. */
function reverseConvFilter(bytes: Uint8Array, compared: ReadonlySet<string>, nth: number): { bytes: Uint8Array; layer: string } {
  const { model } = readTflite(bytes);
  const convs = model.operators.filter((op) => op.op === 'CONV_2D' && compared.has(model.tensors[op.outputs[0]!]!.name));
  const conv = convs[nth];
  if (!conv) throw new Error(`no CONV_2D number ${nth} with a compared output (${convs.length} found)`);
  const filter = model.tensors[conv.inputs[1]!]!;
  const [out] = filter.shape as [number];
  const slice = filter.data!.byteLength / out;
  const reversed = new Uint8Array(filter.data!.byteLength);
  for (let o = 0; o < out; o++) reversed.set(filter.data!.subarray((out - 1 - o) * slice, (out - o) * slice), o * slice);
  filter.data = reversed;
  return { bytes: writeTflite(model), layer: model.tensors[conv.outputs[0]!]!.name };
}

describe('tfliteLayerErrors', () => {
  it.each(goldens.map((g) => [g.manifest.name, g] as const))('%s: a correct fp32 conversion has no divergent layer', async (_name, golden) => {
    const keras = await buildKeras(golden);
    try {
      const divergence = await tfliteLayerErrors(golden, keras, 'fp32');
      expect(divergence.layers.length).toBeGreaterThan(0);
      expect(divergence.first).toBeNull();
      expect(divergence.tolerance).toBe(LAYER_TOLERANCE.fp32.abs);
    } finally {
      keras.model.dispose();
    }
  });

  it.each(['fp32', 'int8'] as const)('names the convolution whose filter was corrupted as the first divergent layer (%s)', async (variant) => {
    const golden = goldens.find((g) => g.manifest.name === 'resnet_basic_block')!;
    const keras = await buildKeras(golden);
    try {
      const clean = await convertForDivergence(golden, keras, variant);
      const cleanLayers = (await tfliteLayerErrors(golden, keras, variant, { bytes: clean })).layers;
      const { bytes, layer } = reverseConvFilter(clean, new Set(cleanLayers.map((l) => l.convertedName)), 2);
      const divergence = await tfliteLayerErrors(golden, keras, variant, { bytes });
      expect(divergence.first?.convertedName).toBe(layer);
      // Everything before it still agrees, and the corrupted layer is off by the order of its values.
      const at = divergence.layers.indexOf(divergence.first!);
      expect(at).toBeGreaterThan(0);
      const { abs, rel } = LAYER_TOLERANCE[variant];
      for (const l of divergence.layers.slice(0, at)) expect(l.maxAbsDiff).toBeLessThanOrEqual(abs + rel * l.maxAbsReference);
      expect(divergence.first!.maxAbsDiff).toBeGreaterThan(0.3 * divergence.first!.maxAbsReference);
    } finally {
      keras.model.dispose();
    }
  });

  it('refuses a model converted without debug outputs, saying how to convert it', async () => {
    const golden = goldens.find((g) => g.manifest.name === 'seed_single_conv')!;
    const keras = await buildKeras(golden);
    try {
      const { bytes } = await lowerToTflite(keras, golden, 'fp32');
      const error = await tfliteLayerErrors(golden, keras, 'fp32', { bytes }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TfliteDivergenceError);
      expect((error as TfliteDivergenceError).code).toBe('E_TFLITE_DIVERGENCE');
      expect((error as Error).message).toMatch(/debug: true/);
    } finally {
      keras.model.dispose();
    }
  });
});
