// A static strided slice (PyTorch's x[:, a:b:s] with a step other than 1): begin, end and
// stride per non-batch axis, positive strides only (PyTorch allows no others). tfjs-layers has
// no slicing layer; Slice covers step 1. Lowers to TFLite STRIDED_SLICE.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { stridedSlice } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface StridedSliceArgs extends NonNullable<LayerArgs> {
  begin: number[];
  end: number[];
  strides: number[];
}

export class StridedSlice extends tf.layers.Layer {
  static readonly className = 'StridedSlice';
  readonly begin: number[];
  readonly end: number[];
  readonly strides: number[];

  constructor(args: StridedSliceArgs) {
    super(args);
    const ints = (v: unknown) => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n >= 0);
    const n = args.begin?.length;
    if (!ints(args.begin) || !ints(args.end) || !ints(args.strides) || args.end.length !== n || args.strides.length !== n || args.strides.some((s) => s < 1)) {
      throw new KerasLayerConfigError(
        `StridedSlice needs non-negative integer lists begin, end and strides (>= 1) of equal length, got ${JSON.stringify({ begin: args.begin, end: args.end, strides: args.strides })}`,
      );
    }
    this.begin = [...args.begin];
    this.end = [...args.end];
    this.strides = [...args.strides];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== this.begin.length + 1) throw new KerasLayerConfigError(`StridedSlice '${this.name}' slices ${this.begin.length} axes but got an input of rank ${shape.length}`);
    return [shape[0] ?? null, ...this.begin.map((b, i) => Math.max(0, Math.ceil((this.end[i]! - b) / this.strides[i]!)))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.stridedSlice(x, [0, ...this.begin], [x.shape[0]!, ...this.end], [1, ...this.strides]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), begin: [...this.begin], end: [...this.end], strides: [...this.strides] };
  }

  lower(ctx: LoweringContext): IrTensor {
    return stridedSlice(ctx, this);
  }
}
