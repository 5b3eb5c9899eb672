// x - y of two tensors (same rank, broadcasting like PyTorch): Python Keras has a Subtract merge
// layer, tfjs-layers does not. Same class name and config as Keras's, so Python Keras reads it as
// its own. Lowers to TFLite SUB.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { subtract } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export class Subtract extends tf.layers.Layer {
  static readonly className = 'Subtract';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) throw new KerasLayerConfigError(`Subtract '${this.name}' takes exactly two inputs`);
    const [a, b] = shapes as [tf.Shape, tf.Shape];
    if (a.length !== b.length) throw new KerasLayerConfigError(`Subtract '${this.name}' needs inputs of equal rank, got [${a.join(', ')}] and [${b.join(', ')}]`);
    return a.map((dim, i) => (dim === 1 ? b[i]! : dim));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = inputs as tf.Tensor[];
      return tf.sub(a!, b!);
    });
  }

  lower(ctx: LoweringContext): IrTensor {
    return subtract(ctx);
  }
}
