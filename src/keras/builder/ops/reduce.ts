// Reductions over PyTorch dims, on the Keras axes holding them. Averaging every spatial axis of a
// channels-last map is Keras's global average pooling (or, keeping dims, an average pooling over
// the whole map); anything else is torchport's Reduce layer.
import * as tf from '@tensorflow/tfjs';
import { LogSoftmax, Reduce, type ReduceOp } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { kerasAxis, samePerm } from '../layout.ts';
import { Unsupported, bool, ints, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, outputShape, pair, type Converter } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

export function reduction(op: ReduceOp): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'dim=', 'keepdim=', 'dtype=']);
    if (args['dtype'] !== undefined && !('const' in args['dtype'] && args['dtype'].const === null)) throw new Unsupported('a dtype argument');
    const x = ctx.plain(firstInput(node, ctx), node);
    const rank = x.torchShape.length;
    const dims = ints(args['dim'], 'dim');
    if (dims === undefined || dims.length === 0) throw new Unsupported('reduces every axis, the batch included');
    const reduced = [...new Set(dims.map((d) => (d < 0 ? d + rank : d)))].sort();
    if (reduced.includes(0)) node.fail('reduces the batch axis');
    const keepDims = bool(args['keepdim'], 'keepdim', false);
    const axes = reduced.map((d) => kerasAxis(x.layout, d)).sort((a, b) => a - b);
    const out = outputShape(node, ctx);
    const kept = x.layout.perm.filter((axis) => !reduced.includes(axis));
    const perm = keepDims ? x.layout.perm : kept.map((axis) => axis - reduced.filter((d) => d < axis).length);
    return [ctx.apply(reduceLayer(node, ctx, x, op, axes, keepDims), x, out, { perm })];
  };
}

function reduceLayer(node: OpNode, ctx: BuildContext, x: KValue, op: ReduceOp, axes: number[], keepDims: boolean): tf.layers.Layer {
  const rank = x.torchShape.length;
  const name = nameFor(node, ctx);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  if (op !== 'sum' && (rank === 3 || rank === 4) && samePerm(axes, spatial)) {
    const window = spatial.map((axis) => x.tensor.shape[axis] as number);
    if (!keepDims) {
      if (rank === 4) return op === 'mean' ? tf.layers.globalAveragePooling2d({ name }) : tf.layers.globalMaxPooling2d({ name });
      return op === 'mean' ? tf.layers.globalAveragePooling1d({ name }) : tf.layers.globalMaxPooling1d({ name });
    }
    const args = { poolSize: pair(window), strides: pair(window), padding: 'valid' as const, name };
    if (rank === 4) return op === 'mean' ? tf.layers.averagePooling2d(args) : tf.layers.maxPooling2d(args);
    const args1 = { ...args, poolSize: window[0]!, strides: window[0]! };
    return op === 'mean' ? tf.layers.averagePooling1d(args1) : tf.layers.maxPooling1d(args1);
  }
  return new Reduce({ op, axes, keepDims, name });
}

export const softmax: Converter = (node, ctx) => softmaxLike(node, ctx, (name) => tf.layers.softmax({ axis: -1, name }));
export const logSoftmax: Converter = (node, ctx) => softmaxLike(node, ctx, (name) => new LogSoftmax({ name }));

function softmaxLike(node: OpNode, ctx: BuildContext, make: (name: string) => tf.layers.Layer): KValue[] {
  const dimArg = node.node.module !== undefined ? node.attrs['dim'] : ints(node.bind(['input', 'dim=', '_stacklevel=', 'dtype='])['dim'], 'dim')?.[0];
  if (typeof dimArg !== 'number') throw new Unsupported('softmax without an explicit dim');
  const value = firstInput(node, ctx);
  const rank = value.torchShape.length;
  const dim = dimArg < 0 ? dimArg + rank : dimArg;
  // Over all features of a flattened vector the order does not matter: no need to reorder it.
  if (value.layout.source !== undefined && rank === 2 && dim === 1) return [ctx.apply(make(nameFor(node, ctx)), value, value.torchShape, value.layout)];
  let x = ctx.plain(value, node);
  // tfjs (and TFLite's SOFTMAX) normalize the last axis only.
  if (kerasAxis(x.layout, dim) !== rank - 1) x = ctx.relayout(x, [...x.layout.perm.filter((axis) => axis !== dim), dim], node, 'softmax runs over the last Keras axis only');
  return [ctx.apply(make(nameFor(node, ctx)), x, x.torchShape, x.layout)];
}

const SOFTMAX = op(softmax);
const LOG_SOFTMAX = op(logSoftmax);

export const FAMILY: OpFamily = {
  name: 'Softmax and reductions',
  layers: [LogSoftmax, Reduce],
  ops: {
    Softmax: SOFTMAX,
    LogSoftmax: LOG_SOFTMAX,
    ...spellings(['F.softmax', 'torch.softmax', 'Tensor.softmax'], SOFTMAX),
    ...spellings(['F.log_softmax', 'torch.log_softmax', 'Tensor.log_softmax'], LOG_SOFTMAX),
    ...spellings(['Tensor.mean', 'torch.mean'], op(reduction('mean'))),
    ...spellings(['Tensor.sum', 'torch.sum'], op(reduction('sum'))),
    ...spellings(['Tensor.amax', 'torch.amax'], op(reduction('max'))),
  },
};
