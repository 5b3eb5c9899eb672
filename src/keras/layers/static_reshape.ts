// A reshape of the whole tensor, batch axis included, to one fixed shape. Keras's Reshape never
// touches the batch axis; torchport's graphs have static shapes (the traced ones), so an op that
// moves data across PyTorch's batch axis (cat/split/slice on dim 0, flatten to 1-D, a reshape that
// folds patches into the batch) is built on a value whose batch is first folded into a unit axis
// ([B, ...] -> [1, B, ...]) and unfolded afterwards; an op across the batch (x.sum(), x.max(dim=0),
// matmul of inputs with different leading sizes) lifts the whole tensor into one sample the same
// way (../builder/batch_axis.ts). The model then runs at the traced batch size only. Lowers to
// TFLite RESHAPE.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { reshape } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface StaticReshapeArgs extends NonNullable<LayerArgs> {
  /** The full output shape, batch axis included. */
  shape: number[];
  /**
   * Report axis 0 as open (null) rather than shape[0]: when shape[0] is the model's batch size, so
   * the output joins the model's other batch-sized tensors (a Concatenate refuses null beside 2).
   */
  openBatch?: boolean;
}

export class StaticReshape extends tf.layers.Layer {
  static readonly className = 'StaticReshape';
  readonly shape: number[];
  readonly openBatch: boolean;

  constructor(args: StaticReshapeArgs) {
    super(args);
    if (!Array.isArray(args.shape) || args.shape.length === 0 || args.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new KerasLayerConfigError(`StaticReshape shape must be a non-empty list of positive integers, got ${JSON.stringify(args.shape)}`);
    }
    this.shape = [...args.shape];
    this.openBatch = args.openBatch ?? false;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const known = shape.slice(1).every((d) => d !== null);
    const size = (dims: readonly (number | null)[]) => dims.reduce((a: number, b) => a * (b ?? 1), 1);
    if (known && shape[0] !== null && size(shape) !== size(this.shape)) {
      throw new KerasLayerConfigError(`StaticReshape '${this.name}' cannot reshape [${shape.join(', ')}] to [${this.shape.join(', ')}]`);
    }
    return [this.openBatch ? null : this.shape[0]!, ...this.shape.slice(1)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const size = this.shape.reduce((a, b) => a * b, 1);
      if (x.size !== size)
        throw new KerasLayerConfigError(
          `StaticReshape '${this.name}' was built for ${size} elements ([${this.shape.join(', ')}]) but got [${x.shape.join(', ')}]: run the model at the batch size it was converted for`,
        );
      return tf.reshape(x, this.shape);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shape: [...this.shape], openBatch: this.openBatch };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    const out = ctx.outputShapes[0] ?? this.shape;
    if (size(x.shape) !== size(out)) ctx.fail(`reshapes ${size(x.shape)} elements [${x.shape.join(', ')}] to [${out.join(', ')}]`);
    return reshape(ctx);
  }
}
