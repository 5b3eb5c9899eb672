// Issue 8: a multi-input multi-output model keeps PyTorch's input/output names and order through
// TFLite, in every variant: the serving_default signature and the subgraph's inputs/outputs, read
// back from the written file, against the golden manifest; LiteRT runs the file with PyTorch's
// inputs in that order and gives PyTorch's outputs in that order.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGolden } from '../golden/index.ts';
import { createTfliteRunner } from '../runtimes/tflite/index.ts';
import { inspectTflite } from '../tflite/index.ts';
import { QUANTIZE_VARIANTS } from '../tflite/lower/index.ts';
import { buildKeras, lowerToTflite, tfliteFileName, toKerasLayout, toTorchLayout, type KerasConversion } from './index.ts';
import { atMost } from '../../test/support/tolerance.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const golden = await loadGolden(path.join(ROOT, 'golden/two_inputs_two_outputs'));
const inputNames = golden.manifest.inputs.map((s) => s.name);
const outputNames = golden.manifest.outputs.map((s) => s.name);

describe('two_inputs_two_outputs: PyTorch names and order through TFLite', () => {
  let keras: KerasConversion;
  let dir: string;
  beforeAll(async () => {
    keras = await buildKeras(golden);
    dir = await mkdtemp(path.join(tmpdir(), 'torchport-io-names-'));
  });
  afterAll(async () => {
    keras?.model.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the golden has two inputs and two outputs of distinct shapes (what makes the order observable)', () => {
    expect(inputNames).toEqual(['input_0', 'input_1']);
    expect(outputNames).toEqual(['output_0', 'output_1']);
    expect(golden.manifest.inputs[0]!.shape).not.toEqual(golden.manifest.inputs[1]!.shape);
    expect(golden.manifest.outputs[0]!.shape).not.toEqual(golden.manifest.outputs[1]!.shape);
  });

  it.each(QUANTIZE_VARIANTS)('%s: signature and graph inputs/outputs carry the manifest names in its order', async (variant) => {
    const result = await lowerToTflite(keras, golden, variant);
    const file = path.join(dir, tfliteFileName(variant));
    await writeFile(file, result.bytes);
    const inspection = inspectTflite(new Uint8Array(await readFile(file)), file);

    expect(inspection.signatures).toHaveLength(1);
    const signature = inspection.signatures[0]!;
    expect(signature.key).toBe('serving_default');
    expect(signature.inputs.map((s) => s.name)).toEqual(inputNames);
    expect(signature.outputs.map((s) => s.name)).toEqual(outputNames);
    // The signature points at the subgraph's own inputs/outputs, in the same order.
    expect(signature.inputs.map((s) => s.tensor)).toEqual(inspection.inputs.map((t) => t.index));
    expect(signature.outputs.map((s) => s.tensor)).toEqual(inspection.outputs.map((t) => t.index));
    expect(inspection.inputs.map((t) => t.name)).toEqual(inputNames);
    expect(inspection.outputs.map((t) => t.name)).toEqual(outputNames);
    // Shapes in Keras layout (NHWC image), per the build's IO record, position by position.
    expect(inspection.inputs.map((t) => t.shape)).toEqual(keras.io.inputs.map((r) => r.kerasShape));
    expect(inspection.outputs.map((t) => t.shape)).toEqual(keras.io.outputs.map((r) => r.kerasShape));
    // The conversion report says the same.
    expect(result.report.inputs.map((t) => t.name)).toEqual(inputNames);
    expect(result.report.outputs.map((t) => t.name)).toEqual(outputNames);
  });

  it('LiteRT runs the written fp32 file by those names: PyTorch inputs in order give PyTorch outputs in order (1e-5)', async () => {
    const file = path.join(dir, 'order-check.tflite');
    await writeFile(file, (await lowerToTflite(keras, golden, 'fp32')).bytes);
    const runner = await createTfliteRunner(new Uint8Array(await readFile(file)), { name: file });
    try {
      expect(runner.inputNames).toEqual(inputNames);
      expect(runner.outputNames).toEqual(outputNames);
      for (const seed of golden.manifest.seeds) {
        const outputs = toTorchLayout(await runner.run(toKerasLayout(await golden.inputs(seed), keras.io.inputs)), keras.io.outputs);
        const references = await golden.outputs(seed);
        expect(outputs.map((t) => t.shape)).toEqual(golden.manifest.outputs.map((s) => s.shape));
        outputs.forEach((output, i) => {
          expect(output).toMatchReference(references[i]!, atMost(1e-5), { label: `${outputNames[i]} seed ${seed}` });
        });
      }
    } finally {
      await runner.dispose();
    }
  });
});
