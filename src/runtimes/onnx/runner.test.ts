import { describe, expect, it } from 'vitest';
import { compareTensors, FP32_TOLERANCE, loadGolden } from '../../harness/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { OnnxRuntimeError, createOnnxRunner } from './index.ts';

const goldenDir = new URL('../../../golden/conv_dw_bn_relu6_linear', import.meta.url).pathname;

describe('ONNX Runtime runner', () => {
  it("runs the golden's torch.onnx.export and matches PyTorch's outputs on every seed", async () => {
    const golden = await loadGolden(goldenDir);
    const runner = await createOnnxRunner(await golden.onnx(), { name: 'conv_dw_bn_relu6_linear' });
    expect(runner.info).toMatchObject({ engine: 'onnxruntime', backend: 'cpu', threads: 1 });
    expect(runner.inputNames).toEqual(['input_0']);
    expect(runner.outputNames).toEqual(['output_0']);
    for (const seed of golden.manifest.seeds) {
      const [output] = await runner.run(await golden.inputs(seed));
      const [reference] = await golden.outputs(seed);
      const comparison = compareTensors(output!, reference!, FP32_TOLERANCE);
      expect(comparison.reason).toBeUndefined();
      expect(comparison.pass).toBe(true);
    }
    await runner.dispose();
  });

  it('refuses bytes that are not an ONNX model, and a wrong number of inputs, naming the model', async () => {
    await expect(createOnnxRunner(new Uint8Array([1, 2, 3, 4]), { name: 'junk.onnx' })).rejects.toThrow(/junk\.onnx: ONNX Runtime cannot load it/);
    const golden = await loadGolden(goldenDir);
    const runner = await createOnnxRunner(await golden.onnx(), { name: 'm.onnx' });
    await expect(runner.run([])).rejects.toThrow(OnnxRuntimeError);
    await expect(runner.run([Tensor.zeros('float32', [1, 3, 32, 32]), Tensor.zeros('float32', [1])])).rejects.toThrow(/m\.onnx: takes 1 inputs \(input_0\), got 2/);
    await runner.dispose();
  });
});
