// Reads a tfjs LayersModel as a list of layer calls in execution order: for each call, the
// layer, the symbolic tensors it reads and the ones it produces. Works on functional and
// Sequential models (both keep their graph as inbound nodes on each layer).
import type * as tf from '@tensorflow/tfjs';
import { Tensor } from '../../tensor/index.ts';

export interface LayerCall {
  readonly layer: tf.layers.Layer;
  readonly className: string;
  readonly inputs: readonly tf.SymbolicTensor[];
  readonly outputs: readonly tf.SymbolicTensor[];
}

/** Layer calls from the model inputs to its outputs, each after the calls it depends on. */
export function layerCalls(model: tf.LayersModel): LayerCall[] {
  const calls: LayerCall[] = [];
  const visited = new Set<string>();
  const visit = (tensor: tf.SymbolicTensor): void => {
    const layer = tensor.sourceLayer;
    const key = `${layer.name}#${tensor.nodeIndex}`;
    if (visited.has(key)) return;
    visited.add(key);
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (!node) throw new RangeError(`layer '${layer.name}' has no inbound node ${tensor.nodeIndex}`);
    for (const input of node.inputTensors) visit(input);
    calls.push({ layer, className: layer.getClassName(), inputs: node.inputTensors, outputs: node.outputTensors });
  };
  for (const output of model.outputs) visit(output);
  return calls;
}

/**
 * A layer's weights by their short Keras name (`kernel`, `bias`, `gamma`, `moving_mean`,
 * `depthwise_kernel`, `alpha`, `embeddings`...), as float32 tensors in Keras layout; a wrapper's
 * weights also by their path inside it (`forward_lstm/kernel`).
 */
export function layerWeights(layer: tf.layers.Layer): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const variable of layer.weights) {
    const full = variable.originalName;
    const name = full.slice(full.lastIndexOf('/') + 1);
    const value = variable.read();
    const tensor = new Tensor('float32', value.shape, Float32Array.from(value.dataSync() as ArrayLike<number>));
    if (!weights.has(name)) weights.set(name, tensor);
    // Wrappers hold several layers' weights (Bidirectional: forward_<inner>/kernel and backward_<inner>/kernel).
    const relative = full.startsWith(`${layer.name}/`) ? full.slice(layer.name.length + 1) : name;
    if (relative !== name) weights.set(relative, tensor);
  }
  return weights;
}
