// a @ b over the trailing two axes, the leading axes (batch included) matched one to one:
// PyTorch's matmul / bmm of two computed tensors (attention scores, attention-weighted values).
// tfjs-layers has only Dot, which contracts without batching over the middle axes. Lowers to
// TFLite BATCH_MATMUL (adj_x / adj_y for the transposes).
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { batchMatMul } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface BatchMatMulArgs extends NonNullable<LayerArgs> {
  /** Multiply by the transpose of the first operand's trailing two axes. */
  transposeA?: boolean;
  /** Multiply by the transpose of the second operand's trailing two axes. */
  transposeB?: boolean;
}

export class BatchMatMul extends tf.layers.Layer {
  static readonly className = 'BatchMatMul';
  readonly transposeA: boolean;
  readonly transposeB: boolean;

  constructor(args: BatchMatMulArgs = {}) {
    super(args);
    this.transposeA = Boolean(args.transposeA);
    this.transposeB = Boolean(args.transposeB);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 2) throw new KerasLayerConfigError(`BatchMatMul '${this.name}' takes exactly two inputs`);
    const [a, b] = inputShape as tf.Shape[];
    if (a!.length !== b!.length || a!.length < 3) throw new KerasLayerConfigError(`BatchMatMul '${this.name}' needs two inputs of one rank >= 3, got [${a!.join(', ')}] and [${b!.join(', ')}]`);
    const r = a!.length;
    const [m, ka] = this.transposeA ? [a![r - 1], a![r - 2]] : [a![r - 2], a![r - 1]];
    const [kb, n] = this.transposeB ? [b![r - 1], b![r - 2]] : [b![r - 2], b![r - 1]];
    if (ka !== null && kb !== null && ka !== kb) throw new KerasLayerConfigError(`BatchMatMul '${this.name}': inner dimensions ${ka} and ${kb} differ`);
    return [...a!.slice(0, r - 2), m ?? null, n ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = inputs as tf.Tensor[];
      return tf.matMul(a!, b!, this.transposeA, this.transposeB);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), transposeA: this.transposeA, transposeB: this.transposeB };
  }

  lower(ctx: LoweringContext): IrTensor {
    return batchMatMul(ctx, this);
  }
}
