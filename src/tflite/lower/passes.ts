// Graph passes on the float IR, run to a fixed point, giving the official converter's graph
// quality: one TFLite operator per compute op.
// - fold: a per-channel MUL/ADD/SUB by a constant right after a convolution or dense layer
//   (an inference BatchNorm) is folded into its filter and bias;
// - fuse: RELU / RELU6 / RELU_N1_TO_1 after an operator with a fused-activation field becomes
//   that field;
// - merge padding: an explicit zero PAD equal to what SAME would add becomes SAME;
// - reshape sinking and cancelling: the (N, W, C) <-> (N, 1, W, C) reshapes around 1D layers move
//   past per-channel elementwise operators and cancel, so Conv1D + BatchNorm + ReLU folds too;
// - transposes (./transposes.ts): composed, folded into BATCH_MATMUL's adj flags, hoisted above
//   the slices of an attention's head split (exact: data moves, no arithmetic changes).
// Each rewrite is recorded (which layer went into which) for the conversion report.
import { Tensor } from '../../tensor/index.ts';
import type { IrGraph, IrOp } from '../ir/index.ts';
import { TRANSPOSE_PASSES, type TransposeRewrite } from './transposes.ts';

export interface Rewrite {
  readonly kind: 'fold' | 'fuse-activation' | 'merge-padding' | 'sink-reshape' | 'cancel-reshape' | TransposeRewrite['kind'];
  /** The Keras layer whose operator disappeared. */
  readonly layer: string;
  /** The Keras layer whose operator absorbed it. */
  readonly into: string;
}

export interface PassOptions {
  /** Fused activations to use (TANH is not in the default list: see the lowering tests). */
  readonly fusableActivations: ReadonlySet<string>;
}

const FUSED_ACTIVATION_OF: Readonly<Record<string, string>> = { RELU: 'RELU', RELU6: 'RELU6', RELU_N1_TO_1: 'RELU_N1_TO_1', TANH: 'TANH' };
const HAS_FUSED_ACTIVATION = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'TRANSPOSE_CONV', 'ADD', 'SUB', 'MUL', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'CONCATENATION']);

/** Operators whose filter has one slice per output channel, and where filter and bias sit. */
const AFFINE: Readonly<Record<string, { filter: number; bias: number; axis: 'first' | 'last' }>> = {
  CONV_2D: { filter: 1, bias: 2, axis: 'first' },
  FULLY_CONNECTED: { filter: 1, bias: 2, axis: 'first' },
  TRANSPOSE_CONV: { filter: 1, bias: 3, axis: 'first' },
  DEPTHWISE_CONV_2D: { filter: 1, bias: 2, axis: 'last' },
};

const UNARY_PER_ELEMENT = new Set(['RELU', 'RELU6', 'RELU_N1_TO_1', 'TANH', 'LOGISTIC']);

export function optimize(graph: IrGraph, options: PassOptions): Rewrite[] {
  const rewrites: Rewrite[] = [];
  const passes = [sinkReshape, cancelReshape, foldAffine, (g: IrGraph) => fuseActivation(g, options), mergePadding, ...TRANSPOSE_PASSES];
  let changed = true;
  while (changed) {
    changed = false;
    for (const pass of passes) {
      const rewrite = pass(graph);
      if (rewrite) {
        rewrites.push(rewrite);
        graph.removeDeadOps();
        changed = true;
      }
    }
  }
  return rewrites;
}

/** Records that `absorbed` (and whatever it had absorbed) now runs inside `into`. */
function absorb(into: IrOp, absorbed: IrOp): void {
  into.fused = [...(into.fused ?? []), absorbed.layer, ...(absorbed.fused ?? [])];
}

function isNoActivation(op: IrOp): boolean {
  const activation = op.options['fusedActivationFunction'];
  return activation === undefined || activation === 'NONE';
}

/** The constant operand of a binary op and the other input, if one input is a constant. */
function constantOperand(graph: IrGraph, op: IrOp): { constant: number; other: number; constantFirst: boolean } | undefined {
  if (op.inputs.length !== 2) return undefined;
  const [a, b] = op.inputs as [number, number];
  if (graph.isConstant(b) && !graph.isConstant(a)) return { constant: b, other: a, constantFirst: false };
  if (graph.isConstant(a) && !graph.isConstant(b)) return { constant: a, other: b, constantFirst: true };
  return undefined;
}

/** A constant that broadcasts along the last axis only: shape [], [1], [C] or [1, ..., 1, C]. */
function perChannelValues(graph: IrGraph, id: number, channels: number): Float32Array | undefined {
  const value = graph.value(id);
  if (!value.data || value.dtype !== 'float32') return undefined;
  const shape = value.shape;
  if (shape.slice(0, -1).some((d) => d !== 1)) return undefined;
  const size = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const data = value.data.data as Float32Array;
  if (size === channels) return data;
  if (size === 1) return new Float32Array(channels).fill(data[0]!);
  return undefined;
}

function foldAffine(graph: IrGraph): Rewrite | undefined {
  for (const producer of graph.ops) {
    const layout = AFFINE[producer.op];
    if (!layout || !isNoActivation(producer)) continue;
    const output = producer.outputs[0]!;
    if (!graph.hasSingleUse(output)) continue;
    const consumer = graph.ops[graph.consumers(output)[0]!]!;
    if (consumer.op !== 'MUL' && consumer.op !== 'ADD' && consumer.op !== 'SUB') continue;
    const operand = constantOperand(graph, consumer);
    if (!operand || operand.other !== output) continue;
    if (consumer.op === 'SUB' && operand.constantFirst) continue; // c - x flips the sign of x: not a bias update
    const shape = graph.value(output).shape;
    const channels = shape[shape.length - 1]!;
    const values = perChannelValues(graph, operand.constant, channels);
    if (!values) continue;
    const biasId = producer.inputs[layout.bias]!;
    const filterId = producer.inputs[layout.filter]!;
    if (biasId < 0 || !graph.isConstant(biasId) || !graph.isConstant(filterId)) continue;
    if (graph.consumers(biasId).length !== 1 || graph.consumers(filterId).length !== 1) continue; // shared constants stay untouched
    const bias = graph.value(biasId);
    const biasData = Float32Array.from(bias.data!.data as Float32Array);
    if (consumer.op === 'MUL') {
      const filter = graph.value(filterId);
      const data = Float32Array.from(filter.data!.data as Float32Array);
      const perSlice = data.length / channels;
      for (let i = 0; i < data.length; i++) {
        const channel = layout.axis === 'first' ? Math.floor(i / perSlice) : i % channels;
        data[i] = data[i]! * values[channel]!;
      }
      filter.data = new Tensor('float32', filter.shape, data);
      for (let c = 0; c < channels; c++) biasData[c] = biasData[c]! * values[c]!;
    } else {
      const sign = consumer.op === 'SUB' ? -1 : 1;
      for (let c = 0; c < channels; c++) biasData[c] = biasData[c]! + sign * values[c]!;
    }
    bias.data = new Tensor('float32', bias.shape, biasData);
    absorb(producer, consumer);
    // The folded MUL/ADD may already carry a fused activation: it now applies after the producer.
    if (!isNoActivation(consumer)) producer.options = { ...producer.options, fusedActivationFunction: consumer.options['fusedActivationFunction'] };
    producer.outputs = [...consumer.outputs];
    graph.ops = graph.ops.filter((op) => op !== consumer);
    return { kind: 'fold', layer: consumer.layer, into: producer.layer };
  }
  return undefined;
}

function fuseActivation(graph: IrGraph, options: PassOptions): Rewrite | undefined {
  for (const activation of graph.ops) {
    const fused = FUSED_ACTIVATION_OF[activation.op];
    if (!fused || !options.fusableActivations.has(fused)) continue;
    const input = activation.inputs[0]!;
    if (!graph.hasSingleUse(input)) continue;
    const producerIndex = graph.producer(input);
    if (producerIndex < 0) continue;
    const producer = graph.ops[producerIndex]!;
    if (!HAS_FUSED_ACTIVATION.has(producer.op) || !isNoActivation(producer) || producer.outputs.length !== 1) continue;
    producer.options = { ...producer.options, fusedActivationFunction: fused };
    absorb(producer, activation);
    producer.outputs = [...activation.outputs];
    graph.ops = graph.ops.filter((op) => op !== activation);
    return { kind: 'fuse-activation', layer: activation.layer, into: producer.layer };
  }
  return undefined;
}

/** TensorFlow's SAME padding along one axis: the total, with the odd one at the end. */
function samePadding(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function mergePadding(graph: IrGraph): Rewrite | undefined {
  for (const pad of graph.ops) {
    if (pad.op !== 'PAD') continue;
    const [x, paddingsId] = pad.inputs as [number, number];
    const output = pad.outputs[0]!;
    if (!graph.isConstant(paddingsId) || !graph.hasSingleUse(output)) continue;
    const conv = graph.ops[graph.consumers(output)[0]!]!;
    if ((conv.op !== 'CONV_2D' && conv.op !== 'DEPTHWISE_CONV_2D') || conv.inputs[0] !== output || conv.options['padding'] !== 'VALID') continue;
    const p = Array.from(graph.value(paddingsId).data!.data as Int32Array);
    if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0) continue;
    const inShape = graph.value(x).shape;
    const filterShape = graph.value(conv.inputs[1]!).shape;
    const o = conv.options as { strideH?: number; strideW?: number; dilationHFactor?: number; dilationWFactor?: number };
    const [top, bottom] = samePadding(inShape[1]!, filterShape[1]!, o.strideH ?? 1, o.dilationHFactor ?? 1);
    const [left, right] = samePadding(inShape[2]!, filterShape[2]!, o.strideW ?? 1, o.dilationWFactor ?? 1);
    if (p[2] !== top || p[3] !== bottom || p[4] !== left || p[5] !== right) continue;
    conv.inputs = [x, ...conv.inputs.slice(1)];
    conv.options = { ...conv.options, padding: 'SAME' };
    absorb(conv, pad);
    return { kind: 'merge-padding', layer: pad.layer, into: conv.layer };
  }
  return undefined;
}

/**
 * RESHAPE(v) -> E, with E per-element or per-last-channel and the last dim unchanged by the
 * reshape: compute E on v, then reshape. Only when v comes from an operator, so the move brings
 * E next to something it can fold or fuse into.
 */
function sinkReshape(graph: IrGraph): Rewrite | undefined {
  for (let k = 0; k < graph.ops.length; k++) {
    const reshape = graph.ops[k]!;
    if (reshape.op !== 'RESHAPE') continue;
    const source = reshape.inputs[0]!;
    const reshaped = reshape.outputs[0]!;
    if (graph.producer(source) < 0 || !graph.hasSingleUse(reshaped)) continue;
    const sourceShape = graph.value(source).shape;
    const outShape = graph.value(reshaped).shape;
    const channels = sourceShape[sourceShape.length - 1];
    if (channels !== outShape[outShape.length - 1]) continue;
    const consumerIndex = graph.consumers(reshaped)[0]!;
    const consumer = graph.ops[consumerIndex]!;
    let movable = UNARY_PER_ELEMENT.has(consumer.op) && consumer.inputs.length === 1;
    if (consumer.op === 'MUL' || consumer.op === 'ADD' || consumer.op === 'SUB') {
      const operand = constantOperand(graph, consumer);
      movable = operand !== undefined && operand.other === reshaped && perChannelValues(graph, operand.constant, channels!) !== undefined;
    }
    if (!movable) continue;
    const result = consumer.outputs[0]!;
    const resultValue = graph.value(result);
    const moved = graph.addValue({ name: `${resultValue.name}/before_reshape`, shape: sourceShape, dtype: resultValue.dtype, ...(resultValue.layer ? { layer: resultValue.layer } : {}) });
    consumer.inputs = consumer.inputs.map((id) => (id === reshaped ? source : id));
    consumer.outputs = [moved.id];
    reshape.inputs = [moved.id, ...reshape.inputs.slice(1)];
    reshape.outputs = [result];
    // Execution order: the elementwise op now runs where the reshape was, the reshape after it.
    graph.ops.splice(consumerIndex, 1);
    graph.ops.splice(k, 0, consumer);
    return { kind: 'sink-reshape', layer: consumer.layer, into: reshape.layer };
  }
  return undefined;
}

/** RESHAPE(RESHAPE(v)) is one RESHAPE; a RESHAPE back to v's own shape is no operator at all. */
function cancelReshape(graph: IrGraph): Rewrite | undefined {
  for (const outer of graph.ops) {
    if (outer.op !== 'RESHAPE') continue;
    const middle = outer.inputs[0]!;
    const innerIndex = graph.producer(middle);
    const inner = innerIndex >= 0 ? graph.ops[innerIndex]! : undefined;
    if (!inner || inner.op !== 'RESHAPE' || !graph.hasSingleUse(middle)) continue;
    const source = inner.inputs[0]!;
    const target = outer.outputs[0]!;
    const sameShape = graph.value(source).shape.join() === graph.value(target).shape.join();
    if (sameShape && !graph.isGraphOutput(target)) {
      for (const op of graph.ops) op.inputs = op.inputs.map((id) => (id === target ? source : id));
      graph.ops = graph.ops.filter((op) => op !== outer && op !== inner);
    } else {
      outer.inputs = [source, ...outer.inputs.slice(1)];
    }
    return { kind: 'cancel-reshape', layer: outer.layer, into: inner.layer };
  }
  return undefined;
}
