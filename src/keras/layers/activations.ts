// PyTorch's hard activations have no exact tfjs built-in: Keras's `hardSigmoid` is 0.2x + 0.5
// (TF 2.x), PyTorch's is relu6(x + 3) / 6. These two layers compute PyTorch's definitions.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { geluTanh, hardSigmoid, hardSwish } from '../../tflite/lower/layers/index.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0]! : inputs);

/** relu6(x + 3) / 6, PyTorch's nn.Hardsigmoid. */
export class HardSigmoid extends tf.layers.Layer {
  static readonly className = 'HardSigmoid';
  constructor(args: LayerArgs = {}) {
    super(args);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.div(tf.relu6(tf.add(single(inputs), 3)), 6));
  }

  lower(ctx: LoweringContext): IrTensor {
    return hardSigmoid(ctx);
  }
}

/** x * relu6(x + 3) / 6, PyTorch's nn.Hardswish (TFLite HARD_SWISH). */
export class HardSwish extends tf.layers.Layer {
  static readonly className = 'HardSwish';
  constructor(args: LayerArgs = {}) {
    super(args);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
    });
  }

  lower(ctx: LoweringContext): IrTensor {
    return hardSwish(ctx);
  }
}

/**
 * GELU's tanh approximation, PyTorch's GELU(approximate='tanh'): 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).
 * tfjs has it as the activation 'gelu_new', but a saved 'gelu_new' does not load back (tfjs
 * camel-cases it to 'geluNew'); this layer does. Lowers to TFLite GELU with approximate=true.
 */
export class GeluTanh extends tf.layers.Layer {
  static readonly className = 'GeluTanh';
  constructor(args: LayerArgs = {}) {
    super(args);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    });
  }

  lower(ctx: LoweringContext): IrTensor {
    return geluTanh(ctx);
  }
}
