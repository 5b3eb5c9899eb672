// Broadcasts size-1 axes to a static shape (PyTorch's x.expand(...) / expand_as, e.g. an SE gate
// expanded to the feature map). tfjs-layers has no such layer. Lowers to TFLite BROADCAST_TO.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { broadcastTo } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface BroadcastToArgs extends NonNullable<LayerArgs> {
  /** The output shape without the batch axis. */
  shape: number[];
}

export class BroadcastTo extends tf.layers.Layer {
  static readonly className = 'BroadcastTo';
  readonly shape: number[];

  constructor(args: BroadcastToArgs) {
    super(args);
    if (!Array.isArray(args.shape) || args.shape.some((d) => !Number.isInteger(d) || d < 1))
      throw new KerasLayerConfigError(`BroadcastTo shape must be positive integers, got ${JSON.stringify(args.shape)}`);
    this.shape = [...args.shape];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== this.shape.length + 1) throw new KerasLayerConfigError(`BroadcastTo '${this.name}' broadcasts to rank ${this.shape.length + 1} but got an input of rank ${shape.length}`);
    return [shape[0] ?? null, ...this.shape];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.broadcastTo(x, [x.shape[0]!, ...this.shape]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shape: [...this.shape] };
  }

  lower(ctx: LoweringContext): IrTensor {
    return broadcastTo(ctx);
  }
}
