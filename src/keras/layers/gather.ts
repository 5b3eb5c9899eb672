// x gathered at constant indices along one axis: PyTorch's index_select with a fixed index
// tensor, or x[..., idx] with a constant integer tensor. tfjs-layers has no gather layer.
// Lowers to TFLite GATHER with an int32 constant.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { gather } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface GatherArgs extends NonNullable<LayerArgs> {
  /** Keras axis (not the batch axis). */
  axis: number;
  /** Positions along `axis`, in output order; may repeat. */
  indices: number[];
}

export class Gather extends tf.layers.Layer {
  static readonly className = 'Gather';
  readonly axis: number;
  readonly indices: number[];

  constructor(args: GatherArgs) {
    super(args);
    if (!Number.isInteger(args.axis) || args.axis < 1) throw new KerasLayerConfigError(`Gather axis must be a non-batch axis (>= 1), got ${JSON.stringify(args.axis)}`);
    if (!Array.isArray(args.indices) || args.indices.length === 0 || args.indices.some((i) => !Number.isInteger(i) || i < 0)) {
      throw new KerasLayerConfigError(`Gather indices must be a non-empty list of non-negative integers, got ${JSON.stringify(args.indices)}`);
    }
    this.axis = args.axis;
    this.indices = [...args.indices];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const size = shape[this.axis];
    if (size === undefined) throw new KerasLayerConfigError(`Gather '${this.name}': axis ${this.axis} is outside an input of rank ${shape.length}`);
    const outside = size === null ? [] : this.indices.filter((i) => i >= size);
    if (outside.length > 0) throw new KerasLayerConfigError(`Gather '${this.name}': indices ${outside.join(', ')} are outside axis ${this.axis} of size ${size}`);
    return shape.map((d, i) => (i === this.axis ? this.indices.length : d));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.gather(Array.isArray(inputs) ? inputs[0]! : inputs, tf.tensor1d(this.indices, 'int32'), this.axis));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, indices: [...this.indices] };
  }

  lower(ctx: LoweringContext): IrTensor {
    return gather(ctx, this);
  }
}
