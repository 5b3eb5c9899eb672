// log(softmax(x)) over the last axis, computed stably (x - logsumexp(x)) as PyTorch's log_softmax
// does: log of a Softmax layer's output loses precision where probabilities underflow. tfjs-layers
// has no such layer. Lowers to TFLite LOG_SOFTMAX.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { logSoftmax } from '../../tflite/lower/layers/index.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export class LogSoftmax extends tf.layers.Layer {
  static readonly className = 'LogSoftmax';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.logSoftmax(Array.isArray(inputs) ? inputs[0]! : inputs, -1));
  }

  lower(ctx: LoweringContext): IrTensor {
    return logSoftmax(ctx);
  }
}
