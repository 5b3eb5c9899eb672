// Why the LSTM lowering is a WHILE loop (src/tflite/lower/layers/recurrent.ts): LiteRT.js cannot
// run TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM in any form we can write. The kernel needs its
// output and cell state inputs to be variable tensors (`GetVariableInput`, which returns null
// for anything else), and LiteRT's model loader (litert/core/model/model_load.cc) refuses every
// file with a variable tensor. When a LiteRT.js upgrade makes the first test fail, the fused op
// becomes possible: check then that state starts at zero on every run() (same input twice, a
// different one in between) before lowering LSTM to it.
import { describe, expect, it } from 'vitest';
import { TfliteRuntimeError, createTfliteRunner } from '../runtimes/tflite/index.ts';
import { Tensor } from '../tensor/index.ts';
import { writeTflite } from './index.ts';
import { fusedLstmModel } from './testing/fused-lstm.ts';

async function loadError(state: 'variable' | 'constant'): Promise<TfliteRuntimeError> {
  const model = fusedLstmModel({ state });
  let error: unknown;
  try {
    const runner = await createTfliteRunner(writeTflite(model), { name: model.description });
    try {
      await runner.run([new Tensor('float32', [1, 5, 3], new Float32Array(15))]);
    } finally {
      await runner.dispose();
    }
  } catch (caught) {
    error = caught;
  }
  expect(error, `LiteRT now runs a fused LSTM with ${state} state: see the comment at the top of this file`).toBeInstanceOf(TfliteRuntimeError);
  return error as TfliteRuntimeError;
}

describe('LiteRT.js and UNIDIRECTIONAL_SEQUENCE_LSTM', () => {
  it('refuses to load a model whose state tensors are variable tensors', async () => {
    const error = await loadError('variable');
    expect(error.log.join('\n')).toContain('Variable tensors not yet supported');
  });

  it('fails to prepare the op when the state tensors are not variable (zero constants)', async () => {
    const error = await loadError('constant');
    const log = error.log.join('\n');
    expect(log).toContain('output_state != nullptr');
    expect(log).toMatch(/UNIDIRECTIONAL_SEQUENCE_LSTM\) failed to prepare/);
  });
});
