// Every golden with a captured graph, through the converter: what only the lowering owes. Parity
// of each TFLite variant with PyTorch on every seed is the parity suites' job (suites/parity/*,
// judged by the same pipeline as `torchport verify`). Here: no TRANSPOSE where the Keras builder
// needed no permute, no custom operator, and an fp32 file that is the weights plus the
// flatbuffer's tables.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKeras, lowerToTflite, type KerasConversion } from '../../convert/index.ts';
import { listGoldenDirs, loadGolden } from '../../golden/index.ts';
import { modelGraphs, readTflite } from '../index.ts';
import type { ConversionResult } from './index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const goldens = (await Promise.all((await listGoldenDirs(path.join(ROOT, 'golden'))).map((dir) => loadGolden(dir)))).filter((g) => !('error' in g.manifest.graph));

/** Flatbuffer tables beside the constant data: ~1 KB per model (signature, metadata, buffers vector), at most 128 bytes per tensor (name, shape, buffer entry, operator slot). */
const MODEL_TABLE_BYTES = 1024;
const BYTES_PER_TENSOR = 128;

describe.each(goldens.map((g) => [g.manifest.name, g] as const))('golden %s', (_name, golden) => {
  let keras: KerasConversion;
  let fp32: Promise<ConversionResult> | undefined;
  const conversion = () => (fp32 ??= lowerToTflite(keras, golden, 'fp32'));

  beforeAll(async () => {
    keras = await buildKeras(golden);
  });
  afterAll(() => keras?.model.dispose());

  it('fp32 has no TRANSPOSE the Keras model does not have, and is the weights plus the flatbuffer tables', async () => {
    const { report } = await conversion();
    const transposes = report.operatorHistogram['TRANSPOSE'] ?? 0;
    // Each permute the builder inserted lowers to at most one TRANSPOSE; a CNN (no permute) has none.
    if (keras.build.permuteCount === 0) expect(transposes).toBe(0);
    else expect(transposes).toBeLessThanOrEqual(keras.build.permuteCount);
    expect(report.operatorHistogram['CUSTOM'] ?? 0).toBe(0);
    const model = readTflite((await conversion()).bytes).model;
    const tensors = modelGraphs(model).reduce((sum, graph) => sum + graph.tensors.length, 0);
    expect(report.fileBytes).toBeLessThanOrEqual(report.kerasWeightBytes + MODEL_TABLE_BYTES + BYTES_PER_TENSOR * tensors);
  });
});

it('covers every golden with a captured graph', () => {
  expect(goldens.length).toBeGreaterThan(0);
});
