// A constant tensor as a layer output: PyTorch code can concatenate a parameter with computed
// values (a ViT class token) or otherwise use it as an operand; Keras's functional API has no
// constant tensors. The layer holds the constant as its weight `value` (leading axis 1) and
// repeats it over the batch of its input, which it reads only for the batch size. Lowers to a
// TFLite constant buffer.
import { tf } from '../../runtimes/tfjs/index.ts';
import { IDENTITY, type LayerRule } from '../transfer/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { constantTensor } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface ConstantTensorArgs extends NonNullable<LayerArgs> {
  /** The constant's shape without the batch axis. */
  shape: number[];
}

export class ConstantTensor extends tf.layers.Layer {
  static readonly className = 'ConstantTensor';
  static readonly transferRule: LayerRule = { weights: [{ keras: 'value', torch: 'value', layout: IDENTITY }] };
  readonly shape: number[];
  private value: tf.LayerVariable | null = null;

  constructor(args: ConstantTensorArgs) {
    super(args);
    if (!Array.isArray(args.shape) || args.shape.some((d) => !Number.isInteger(d) || d < 1))
      throw new KerasLayerConfigError(`ConstantTensor shape must be positive integers, got ${JSON.stringify(args.shape)}`);
    this.shape = [...args.shape];
  }

  override build(): void {
    this.value = this.addWeight('value', [1, ...this.shape], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, ...this.shape];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const value = this.value!.read();
      return x.shape[0] === 1 ? tf.clone(value) : tf.tile(value, [x.shape[0]!, ...this.shape.map(() => 1)]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shape: [...this.shape] };
  }

  lower(ctx: LoweringContext): IrTensor {
    return constantTensor(ctx);
  }
}
