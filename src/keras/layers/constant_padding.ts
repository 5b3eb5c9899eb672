// Pads the spatial axes of a channels-last tensor with a constant. Keras's ZeroPadding only pads
// with 0; PyTorch's max pooling pads with -inf, which the builder writes as the lowest float32
// (the value TFLite converters give PADV2) so that padding never wins a max.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { constantPadding } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface ConstantPaddingArgs extends NonNullable<LayerArgs> {
  /** [before, after] for each spatial axis (the axes between batch and channels). */
  padding: Array<[number, number]>;
  value: number;
}

export class ConstantPadding extends tf.layers.Layer {
  static readonly className = 'ConstantPadding';
  readonly padding: Array<[number, number]>;
  readonly value: number;

  constructor(args: ConstantPaddingArgs) {
    super(args);
    if (!Array.isArray(args.padding) || args.padding.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < 0))) {
      throw new KerasLayerConfigError(`ConstantPadding padding must be [before, after] pairs of non-negative integers, got ${JSON.stringify(args.padding)}`);
    }
    if (typeof args.value !== 'number') throw new KerasLayerConfigError(`ConstantPadding value must be a number, got ${JSON.stringify(args.value)}`);
    this.padding = args.padding.map(([a, b]) => [a, b]);
    this.value = args.value;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== this.padding.length + 2) throw new KerasLayerConfigError(`ConstantPadding '${this.name}' pads ${this.padding.length} spatial axes but got an input of rank ${shape.length}`);
    return shape.map((dim, axis) => {
      const pad = this.padding[axis - 1];
      return pad === undefined || dim === null ? dim : dim + pad[0] + pad[1];
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.pad(x, [[0, 0], ...this.padding, [0, 0]], this.value);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding.map((p) => [...p]), value: this.value };
  }

  lower(ctx: LoweringContext): IrTensor {
    return constantPadding(ctx, this);
  }
}
