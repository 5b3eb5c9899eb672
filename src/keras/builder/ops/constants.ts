// PyTorch tensors that are not computed from the inputs (a parameter used directly in forward,
// a folded constant) as Keras operands.
import type { GraphArg } from '../../../torch/index.ts';
import { ConstantTensor } from '../../layers/index.ts';
import { Tensor, isFloatDType } from '../../../tensor/index.ts';
import { constantTensorName, type BuildContext, type KValue } from '../context.ts';
import { kerasShapeOf } from '../layout.ts';
import { Unsupported, type OpNode } from '../op_node.ts';
import { nameFor } from './common.ts';

export interface ConstantSource {
  /** The tensor's name in the transfer's tensor map. */
  readonly tensor: string;
  readonly shape: readonly number[];
}

/** Which tensor a {param} / {constant} argument names, and its shape. */
export function constantSource(node: OpNode, ctx: BuildContext, arg: { param: string } | { constant: string }): ConstantSource {
  if ('param' in arg) {
    const shape = ctx.tensorShape(arg.param);
    if (!shape) node.fail(`uses parameter '${arg.param}', which is not in the state dict`);
    return asFloat(node, ctx, arg, { tensor: arg.param, shape });
  }
  const shape = ctx.graph.constants[arg.constant]?.shape;
  if (!shape) node.fail(`uses constant ${arg.constant}, which the graph does not describe`);
  ctx.useConstant(arg.constant);
  return asFloat(node, ctx, arg, { tensor: constantTensorName(arg.constant), shape });
}

/** Integers float32 holds exactly. */
const FLOAT32_EXACT = 2 ** 24;

/**
 * An integer or bool constant (an int64 buffer, torch.arange(4)) as the float32 tensor the model
 * computes with (integers are float32 whole numbers inside a converted model); float ones as they are.
 */
function asFloat(node: OpNode, ctx: BuildContext, arg: { param: string } | { constant: string }, source: ConstantSource): ConstantSource {
  const tensor = 'param' in arg ? ctx.peekTensor(arg.param) : ctx.tensorOf(arg);
  if (!tensor || isFloatDType(tensor.dtype)) return source;
  const values = tensor.toFloat32().data;
  const original = 'param' in arg ? arg.param : arg.constant;
  if (tensor.dtype !== 'bool' && values.some((v) => Math.abs(v) > FLOAT32_EXACT)) {
    throw new Unsupported(
      `its ${tensor.dtype} constant '${original}' holds integers beyond 2^24, which float32 cannot hold exactly (the converted model computes in float32): keep such ids outside the model`,
    );
  }
  // The transfer reads the float copy only (it refuses integer tensors).
  if ('param' in arg) ctx.tensorOf(arg);
  else ctx.extraTensors.delete(source.tensor);
  const name = `${source.tensor}<float32>`;
  ctx.extraTensors.set(name, new Tensor('float32', tensor.shape, values));
  return { tensor: name, shape: source.shape };
}

/**
 * The constant as a Keras value of the given rank in layout `perm` (PyTorch's broadcasting adds
 * leading 1-axes; the first axis must be 1, the batch). `batchOf` only lends its batch size.
 */
export function constantValue(node: OpNode, ctx: BuildContext, arg: { param: string } | { constant: string }, rank: number, perm: readonly number[], batchOf: KValue): KValue {
  const source = constantSource(node, ctx, arg);
  const torchShape = [...new Array<number>(rank - source.shape.length).fill(1), ...source.shape];
  if (torchShape[0] !== 1) node.fail(`constant ${JSON.stringify(arg as GraphArg)} of shape [${source.shape.join(', ')}] varies along the batch axis`);
  const layer = new ConstantTensor({ shape: kerasShapeOf(torchShape, perm).slice(1), name: nameFor(node, ctx, '__constant') });
  ctx.fillFrom(layer.name, 'value', source.tensor, { kind: 'aligned', rank, axes: perm });
  // The layer repeats the constant for every sample of `batchOf`: that is the value's batch size.
  return ctx.apply(layer, batchOf, [batchOf.torchShape[0] ?? 1, ...torchShape.slice(1)], { perm });
}
