// A Runner over intermediate layer outputs of a Keras model: what first-divergence diagnosis
// compares with PyTorch's activations, without the harness touching tfjs itself.
import * as tf from '@tensorflow/tfjs';
import type { Runner } from '../runner.ts';
import { createKerasRunner } from './runner.ts';

/** Output `call` of layer `layer` (a shared layer has one output per call). */
export interface LayerOutput {
  readonly layer: string;
  readonly call: number;
}

/**
 * A runner whose outputs are the given layer outputs, in order, for the model's inputs (Keras
 * layout). It shares the model's weights: disposing it leaves the model usable.
 */
export async function createKerasProbeRunner(model: tf.LayersModel, outputs: readonly LayerOutput[]): Promise<Runner> {
  const symbolic = outputs.map(({ layer, call }) => model.getLayer(layer).getOutputAt(call) as tf.SymbolicTensor);
  const probe = tf.model({ inputs: model.inputs, outputs: symbolic });
  return createKerasRunner(probe, { disposeModel: false });
}
