// Every golden with a captured graph, through the whole converter: Keras model built from the
// graph, lowered to each TFLite variant, run in LiteRT on every recorded seed and compared with
// PyTorch's outputs under the default suite's tolerances (suites/default.json, with the golden's
// own TOLERANCE and the suite's per-fixture overrides, as `torchport verify` judges them).
// Structure: no TRANSPOSE where the Keras builder needed no permute, and an fp32 file that is the
// weights plus the flatbuffer's tables.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKeras, lowerToTflite, toKerasLayout, toTorchLayout, type KerasConversion } from '../../convert/index.ts';
import { compareTensors } from '../../harness/compare/index.ts';
import { listGoldenDirs, loadGolden, type Golden } from '../../golden/index.ts';
import { fixtureTolerance, loadSuite, resolveTolerance } from '../../harness/suite/index.ts';
import { createTfliteRunner } from '../../runtimes/tflite/index.ts';
import { inspectTflite, modelGraphs, readTflite, type TfliteInspection } from '../index.ts';
import { QUANTIZE_VARIANTS, type ConversionResult, type QuantizeVariant } from './index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const suite = await loadSuite(path.join(ROOT, 'suites/default.json'));
const goldens = (await Promise.all((await listGoldenDirs(path.join(ROOT, 'golden'))).map((dir) => loadGolden(dir)))).filter((g) => !('error' in g.manifest.graph));

/** Flatbuffer tables beside the constant data: ~1 KB per model (signature, metadata, buffers vector), at most 128 bytes per tensor (name, shape, buffer entry, operator slot). */
const MODEL_TABLE_BYTES = 1024;
const BYTES_PER_TENSOR = 128;

/** The scale of the int8 tensor each float output was dequantized from (null for float outputs): what quant-steps counts in. */
function outputScales(inspection: TfliteInspection): Array<number | null> {
  return inspection.outputs.map((output) => {
    const own = output.quantization?.scale[0];
    if (own !== undefined) return own;
    const producer = inspection.operators.find((op) => op.name === 'DEQUANTIZE' && op.outputs.includes(output.index));
    return (producer && inspection.tensors[producer.inputs[0]!]?.quantization?.scale[0]) ?? null;
  });
}

interface Verdict {
  readonly output: string;
  readonly seed: number;
  readonly pass: boolean;
  readonly reason?: string;
}

async function judge(golden: Golden, keras: KerasConversion, variant: QuantizeVariant, result: ConversionResult): Promise<Verdict[]> {
  const scales = outputScales(inspectTflite(result.bytes));
  const runner = await createTfliteRunner(result.bytes, { name: `${golden.manifest.name} (${variant})` });
  const verdicts: Verdict[] = [];
  const policy = await fixtureTolerance(golden.fixturePath);
  try {
    for (const seed of golden.manifest.seeds) {
      const outputs = toTorchLayout(await runner.run(toKerasLayout(await golden.inputs(seed), keras.io.inputs)), keras.io.outputs);
      const references = await golden.outputs(seed);
      expect(outputs).toHaveLength(references.length);
      references.forEach((reference, i) => {
        const output = golden.manifest.outputs[i]!.name;
        const tolerance = resolveTolerance(suite, policy, golden.manifest.name, `tflite-${variant}`, output);
        const comparison = compareTensors(outputs[i]!, reference, tolerance, { outputScale: scales[i] ?? null });
        verdicts.push({ output, seed, pass: comparison.pass, ...(comparison.reason ? { reason: comparison.reason } : {}) });
      });
    }
  } finally {
    await runner.dispose();
  }
  return verdicts;
}

describe.each(goldens.map((g) => [g.manifest.name, g] as const))('golden %s', (_name, golden) => {
  let keras: KerasConversion;
  const converted = new Map<QuantizeVariant, Promise<ConversionResult>>();
  const conversion = (variant: QuantizeVariant) => {
    let result = converted.get(variant);
    if (!result) converted.set(variant, (result = lowerToTflite(keras, golden, variant)));
    return result;
  };

  beforeAll(async () => {
    keras = await buildKeras(golden);
  });
  afterAll(() => keras?.model.dispose());

  it.each(QUANTIZE_VARIANTS)('tflite-%s matches PyTorch on every seed within the default suite', async (variant) => {
    const verdicts = await judge(golden, keras, variant, await conversion(variant));
    expect(verdicts.filter((v) => !v.pass).map((v) => `${v.output} seed ${v.seed}: ${v.reason}`)).toEqual([]);
    expect(verdicts.length).toBe(golden.manifest.seeds.length * golden.manifest.outputs.length);
  });

  it('fp32 has no TRANSPOSE the Keras model does not have, and is the weights plus the flatbuffer tables', async () => {
    const { report } = await conversion('fp32');
    const transposes = report.operatorHistogram['TRANSPOSE'] ?? 0;
    // Each permute the builder inserted lowers to at most one TRANSPOSE; a CNN (no permute) has none.
    if (keras.build.permuteCount === 0) expect(transposes).toBe(0);
    else expect(transposes).toBeLessThanOrEqual(keras.build.permuteCount);
    expect(report.operatorHistogram['CUSTOM'] ?? 0).toBe(0);
    const model = readTflite((await conversion('fp32')).bytes).model;
    const tensors = modelGraphs(model).reduce((sum, graph) => sum + graph.tensors.length, 0);
    expect(report.fileBytes).toBeLessThanOrEqual(report.kerasWeightBytes + MODEL_TABLE_BYTES + BYTES_PER_TENSOR * tensors);
  });
});

it('covers every golden with a captured graph', () => {
  expect(goldens.length).toBeGreaterThan(0);
});
