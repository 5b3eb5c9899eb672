import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { TfliteFormatError, TfliteGraphBuilder, writeTflite } from '../../tflite/index.ts';
import type { Runner } from '../runner.ts';
import { LiteRtLoadError, TfliteInputError, TfliteRuntimeError, createTfliteRunner } from './index.ts';
import { loadLiteRtOnce } from './litert-node.ts';
import { unpreparableReshape } from '../../../test/support/tflite-models.ts';

const opened: Runner[] = [];
async function open(bytes: Uint8Array, name?: string): Promise<Runner> {
  const runner = await createTfliteRunner(bytes, name === undefined ? {} : { name });
  opened.push(runner);
  return runner;
}
afterAll(async () => {
  for (const runner of opened) await runner.dispose();
});

function divide(): Uint8Array {
  const g = new TfliteGraphBuilder();
  const a = g.input('numerator', 'float32', [1, 4]);
  const b = g.input('denominator', 'float32', [1, 4]);
  const y = g.activation('ratio', 'float32', [1, 4]);
  g.op('DIV', [a, b], [y], {});
  g.output(y);
  return writeTflite(g.build());
}

describe('createTfliteRunner', () => {
  it('names inputs and outputs after the signature and reports the engine', async () => {
    const runner = await open(divide());
    expect(runner.inputNames).toEqual(['numerator', 'denominator']);
    expect(runner.outputNames).toEqual(['ratio']);
    expect(runner.info).toMatchObject({ engine: 'litert', threads: 1 });
    expect(runner.info.backend).toMatch(/^xnnpack-wasm-/);
    const [y] = await runner.run([Tensor.fromNumbers([1, 4], [1, 2, 3, 4]), Tensor.fromNumbers([1, 4], [2, 4, 8, 16])]);
    expect(Array.from(y!.data as Float32Array)).toEqual([0.5, 0.5, 0.375, 0.25]);
  });

  it('treats a non-finite output as a failure of the model, not as numbers', async () => {
    const runner = await open(divide(), 'div.tflite');
    const zeros = Tensor.zeros('float32', [1, 4]);
    await expect(runner.run([zeros, zeros])).rejects.toThrow(TfliteRuntimeError);
    await expect(runner.run([zeros, zeros])).rejects.toThrow(/div.tflite: output 0 "ratio" holds a non-finite value \(NaN at flat index 0\)/);
  });

  it('treats an error LiteRT only logs (XNNPACK refusing a node) as a failure of the model', async () => {
    // LiteRT compiles it, then logs "failed to prepare" and would hand back zeros from run().
    const runner = await open(unpreparableReshape(), 'bad-reshape.tflite');
    const failure = await runner.run([Tensor.fromNumbers([1, 4], [1, 2, 3, 4])]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TfliteRuntimeError);
    expect((failure as TfliteRuntimeError).exitCode).toBe(1);
    expect((failure as TfliteRuntimeError).log.some((line) => /failed to prepare/.test(line))).toBe(true);
  });

  it('lists every input mismatch at once', async () => {
    const runner = await open(divide(), 'div.tflite');
    await expect(runner.run([Tensor.zeros('int32', [1, 4]), Tensor.zeros('float32', [4])])).rejects.toThrow(TfliteInputError);
    await expect(runner.run([Tensor.zeros('int32', [1, 4]), Tensor.zeros('float32', [4])])).rejects.toThrow(
      /input 0 "numerator" must be float32, got int32; input 1 "denominator" must have shape \[1, 4\], got \[4\]/,
    );
    await expect(runner.run([Tensor.zeros('float32', [1, 4])])).rejects.toThrow(/expected 2 input\(s\) \(numerator, denominator\), got 1/);
  });

  it('rejects a malformed file before it reaches LiteRT', async () => {
    const bytes = divide().slice(0, 60);
    await expect(createTfliteRunner(bytes, { name: 'cut.tflite' })).rejects.toThrow(TfliteFormatError);
  });

  it('refuses to run after dispose', async () => {
    const runner = await createTfliteRunner(divide());
    await runner.dispose();
    await expect(runner.run([Tensor.zeros('float32', [1, 4]), Tensor.zeros('float32', [1, 4])])).rejects.toThrow(/after dispose/);
  });

  it('loads LiteRT once per process', async () => {
    const first = await loadLiteRtOnce();
    expect(await loadLiteRtOnce()).toBe(first);
    await expect(loadLiteRtOnce({ threads: 2 })).rejects.toThrow(LiteRtLoadError);
  });
});
