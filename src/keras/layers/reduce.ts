// A reduction over static axes (PyTorch's x.mean(dims) / sum / amax where no pooling layer fits).
// Lowers to TFLite MEAN / SUM / REDUCE_MAX / REDUCE_MIN / REDUCE_PROD.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { reduce } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const REDUCE_OPS = ['mean', 'sum', 'max', 'min', 'prod'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export interface ReduceArgs extends NonNullable<LayerArgs> {
  op: ReduceOp;
  /** Axes of the input (batch is 0 and cannot be reduced). */
  axes: number[];
  keepDims: boolean;
}

const APPLY: Readonly<Record<ReduceOp, (x: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor>> = { mean: tf.mean, sum: tf.sum, max: tf.max, min: tf.min, prod: tf.prod };

export class Reduce extends tf.layers.Layer {
  static readonly className = 'Reduce';
  readonly op: ReduceOp;
  readonly axes: number[];
  readonly keepDims: boolean;

  constructor(args: ReduceArgs) {
    super(args);
    if (!(REDUCE_OPS as readonly string[]).includes(args.op)) throw new KerasLayerConfigError(`Reduce op must be one of ${REDUCE_OPS.join(', ')}, got ${JSON.stringify(args.op)}`);
    if (!Array.isArray(args.axes) || args.axes.length === 0 || args.axes.some((a) => !Number.isInteger(a) || a < 1))
      throw new KerasLayerConfigError(`Reduce axes must be non-batch axes (integers >= 1), got ${JSON.stringify(args.axes)}`);
    this.op = args.op;
    this.axes = [...args.axes].sort((a, b) => a - b);
    this.keepDims = Boolean(args.keepDims);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (this.keepDims) return shape.map((dim, i) => (this.axes.includes(i) ? 1 : dim));
    return shape.filter((_, i) => !this.axes.includes(i));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => APPLY[this.op](Array.isArray(inputs) ? inputs[0]! : inputs, this.axes, this.keepDims));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op, axes: [...this.axes], keepDims: this.keepDims };
  }

  lower(ctx: LoweringContext): IrTensor {
    return reduce(ctx, this);
  }
}
