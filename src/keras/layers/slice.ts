// A static slice of a tensor (PyTorch's x[:, a:b], torch.split / chunk pieces): tfjs-layers has
// no slicing layer. Lowers to TFLite SLICE.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { slice } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface SliceArgs extends NonNullable<LayerArgs> {
  /** Start index per non-batch axis. */
  begin: number[];
  /** Length per non-batch axis (-1: to the end). */
  size: number[];
}

export class Slice extends tf.layers.Layer {
  static readonly className = 'Slice';
  readonly begin: number[];
  readonly size: number[];

  constructor(args: SliceArgs) {
    super(args);
    const ints = (v: unknown) => Array.isArray(v) && v.every((n) => Number.isInteger(n));
    if (!ints(args.begin) || !ints(args.size) || args.begin.length !== args.size.length) {
      throw new KerasLayerConfigError(`Slice needs integer lists begin and size of equal length, got ${JSON.stringify({ begin: args.begin, size: args.size })}`);
    }
    this.begin = [...args.begin];
    this.size = [...args.size];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== this.begin.length + 1) throw new KerasLayerConfigError(`Slice '${this.name}' slices ${this.begin.length} axes but got an input of rank ${shape.length}`);
    return [shape[0] ?? null, ...this.size.map((size, i) => (size >= 0 ? size : shape[i + 1] === null ? null : shape[i + 1]! - this.begin[i]!))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.slice(x, [0, ...this.begin], [-1, ...this.size]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), begin: [...this.begin], size: [...this.size] };
  }

  lower(ctx: LoweringContext): IrTensor {
    return slice(ctx, this);
  }
}
