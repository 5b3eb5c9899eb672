// PyTorch's hard activations have no exact tfjs built-in: Keras's `hardSigmoid` is 0.2x + 0.5
// (TF 2.x), PyTorch's is relu6(x + 3) / 6. These two layers compute PyTorch's definitions.
import * as tf from '@tensorflow/tfjs';

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
}

tf.serialization.registerClass(HardSigmoid);
tf.serialization.registerClass(HardSwish);
