import * as tf from '@tensorflow/tfjs';
import { TorchportError } from '../../errors.ts';
import { Tensor, isFloatDType } from '../../tensor/index.ts';
import type { Runner, RunnerInfo } from '../runner.ts';
import { activeTfjsBackend, initTfjsBackend } from '../tfjs/index.ts';

/** Inputs that do not fit the model (count, shape, dtype). */
export class KerasInputError extends TorchportError {
  readonly code = 'E_KERAS_INPUT';
}

/**
 * A Runner over a tfjs layers model. Inputs and outputs are in the model's own layout (NHWC for
 * the models torchport builds). The runner owns the model: `dispose` releases its weights.
 * Every tfjs tensor a run creates is released before `run` returns.
 */
export interface KerasRunnerOptions {
  /** Dispose the model's weights with the runner (default true); false when the model is shared. */
  readonly disposeModel?: boolean;
}

export async function createKerasRunner(model: tf.LayersModel, options: KerasRunnerOptions = {}): Promise<Runner> {
  const backend = activeTfjsBackend() ?? (await initTfjsBackend());
  const info: RunnerInfo = { engine: 'tfjs', version: tf.version.tfjs, backend: backend.kind, threads: backend.threads };
  const inputSpecs = model.inputs.map((input, i) => ({ name: model.inputNames[i]!, shape: input.shape, dtype: input.dtype }));
  let disposed = false;

  return {
    info,
    inputNames: [...model.inputNames],
    outputNames: [...model.outputNames],
    async run(inputs) {
      if (disposed) throw new KerasInputError(`Keras model '${model.name}' was disposed; create a new runner`);
      if (inputs.length !== inputSpecs.length) {
        throw new KerasInputError(`Keras model '${model.name}' takes ${inputSpecs.length} input(s) (${inputSpecs.map((s) => s.name).join(', ')}) but got ${inputs.length}`);
      }
      inputs.forEach((input, i) => checkInput(model.name, inputSpecs[i]!, input));
      const outputs = tf.tidy(() => {
        const xs = inputs.map((input, i) => toTfTensor(input, inputSpecs[i]!.dtype));
        // apply, not predict: predict slices every input into batches by the first input's batch size
        // (a second input with another batch size, [3, 1] beside [2, 1, 4], lost rows) and widens 1-D
        // inputs to [n, 1], which breaks inputs of different static shapes ([3, 4] @ [4, 5]).
        const ys = model.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor | tf.Tensor[];
        return Array.isArray(ys) ? ys : [ys];
      });
      try {
        return await Promise.all(outputs.map(fromTfTensor));
      } finally {
        for (const output of outputs) output.dispose();
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (options.disposeModel !== false) model.dispose();
    },
  };
}

function checkInput(modelName: string, spec: { name: string; shape: readonly (number | null)[]; dtype: string }, input: Tensor): void {
  const fits = input.rank === spec.shape.length && spec.shape.every((dim, axis) => dim === null || dim === input.shape[axis]);
  if (!fits) {
    const expected = spec.shape.map((d) => (d === null ? '?' : String(d))).join(', ');
    throw new KerasInputError(`Keras model '${modelName}' input '${spec.name}' expects shape [${expected}] but got [${input.shape.join(', ')}] (inputs are channels-last: NHWC / NWC)`);
  }
  const wantsInt = spec.dtype === 'int32';
  if (wantsInt ? isFloatDType(input.dtype) : !isFloatDType(input.dtype)) {
    throw new KerasInputError(`Keras model '${modelName}' input '${spec.name}' is ${spec.dtype} but got ${input.dtype} data`);
  }
}

function toTfTensor(input: Tensor, dtype: string): tf.Tensor {
  if (dtype !== 'int32') return tf.tensor(input.toFloat32().data, [...input.shape], 'float32');
  const values = new Int32Array(input.size);
  for (let i = 0; i < values.length; i++) {
    const value = Number((input.data as ArrayLike<number | bigint>)[i]!);
    if (value < -0x80000000 || value > 0x7fffffff) throw new KerasInputError(`input value ${value} at flat index ${i} does not fit the model's int32 input`);
    values[i] = value;
  }
  return tf.tensor(values, [...input.shape], 'int32');
}

async function fromTfTensor(output: tf.Tensor): Promise<Tensor> {
  const data = await output.data();
  if (data instanceof Float32Array) return new Tensor('float32', output.shape, data);
  if (data instanceof Int32Array) return new Tensor('int32', output.shape, data);
  if (data instanceof Uint8Array) return new Tensor('bool', output.shape, data);
  throw new KerasInputError(`Keras output of dtype ${output.dtype} cannot be returned as a tensor`);
}
