// Ops that run across the batch axis (x.sum(), x.max(dim=0), x.cumsum(0), argmax of the flattened
// tensor) when every shape is static, as the captured graph's are. The whole tensor is "lifted"
// into one sample: Keras [B, ...] becomes [1, B, ...] (PyTorch shape [1, ...S]), so the op runs on
// non-batch axes with the family's usual layers, then the result [1, ...R] is reshaped to R, whose
// first axis becomes the Keras batch (fixed size). A 0-d result is held as Keras shape [1]
// (layout []), and a model output of that kind is returned as PyTorch's 0-d tensor.
import * as tf from '@tensorflow/tfjs';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { KerasLayerConfigError } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasShapeOf } from '../layout.ts';
import type { OpNode } from '../op_node.ts';
import { nameFor } from './common.ts';
import type { LowerableLayer } from '../family.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Reshapes the whole tensor, batch axis included, to one static shape (TFLite RESHAPE). */
export class StaticReshape extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'StaticReshape';
  readonly shape: readonly number[];

  constructor(args: LayerArgs & { shape: number[] }) {
    super(args);
    if (!Array.isArray(args.shape) || args.shape.length === 0 || args.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new KerasLayerConfigError(`StaticReshape shape must be positive integers (batch included), got ${JSON.stringify(args.shape)}`);
    }
    this.shape = [...args.shape];
  }

  override computeOutputShape(): tf.Shape {
    return [...this.shape];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.reshape(Array.isArray(inputs) ? inputs[0]! : inputs, [...this.shape]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shape: [...this.shape] };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (size !== this.shape.reduce((a, b) => a * b, 1)) ctx.fail(`reshapes ${size} elements [${x.shape.join(', ')}] to [${this.shape.join(', ')}]`);
    return ctx.op('RESHAPE', [x, ctx.int32('shape', this.shape)], { shape: this.shape }, { newShape: [...this.shape] });
  }
}

/** The Keras shape a value of PyTorch shape `torchShape` in layout `perm` has (a 0-d value: [1]). */
const kerasFull = (torchShape: readonly number[], perm: readonly number[]): number[] => (torchShape.length === 0 ? [1] : kerasShapeOf(torchShape, perm));

/** x (PyTorch shape S, batch on axis 0) as one sample: PyTorch shape [1, ...S], its layout shifted. */
export function liftBatch(node: OpNode, ctx: BuildContext, x: KValue): KValue {
  const plain = ctx.plain(x, node);
  const perm = [0, ...plain.layout.perm.map((axis) => axis + 1)];
  const torchShape = [1, ...plain.torchShape];
  const layer = new StaticReshape({ shape: kerasFull(torchShape, perm), name: nameFor(node, ctx, '__lift') });
  return ctx.apply(layer, plain, torchShape, { perm });
}

/**
 * A lifted result (PyTorch shape [1, ...R]) as a value of shape R. Its layout keeps the lifted
 * order when that leaves R's axis 0 first; otherwise R is put back in PyTorch's order first.
 */
export function dropLift(node: OpNode, ctx: BuildContext, lifted: KValue): KValue {
  const shape = lifted.torchShape.slice(1);
  let value = lifted;
  let perm = lifted.layout.perm.slice(1).map((axis) => axis - 1);
  if (shape.length > 0 && perm[0] !== 0) {
    value = ctx.relayout(lifted, identityPerm(lifted.torchShape.length), node, 'a result that was computed across the batch axis needs its first axis first');
    perm = identityPerm(shape.length);
  }
  const layer = new StaticReshape({ shape: kerasFull(shape, perm), name: nameFor(node, ctx, '__unlift') });
  return ctx.apply(layer, value, shape, { perm });
}
