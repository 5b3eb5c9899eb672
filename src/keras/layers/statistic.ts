// Statistic: PyTorch's var / std (with a correction), vector norms of any order, logsumexp and
// F.normalize over static non-batch axes. One layer each, so the TFLite lowering sees the whole
// formula and the Keras model stays one node per PyTorch call.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { statistic, type StatisticOp } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const STATISTIC_OPS: readonly StatisticOp[] = ['var', 'std', 'norm', 'logsumexp', 'normalize'];

export interface StatisticArgs extends NonNullable<LayerArgs> {
  op: StatisticOp;
  /** Keras axes of the input (batch is 0 and cannot be reduced). */
  axes: number[];
  keepDims?: boolean;
  correction?: number;
  /** The norm's order; JSON has no Infinity, so the config spells it 'inf' / '-inf'. */
  p?: number | 'inf' | '-inf';
  eps?: number;
}

const decodeOrder = (p: number | 'inf' | '-inf' | undefined): number => (p === 'inf' ? Infinity : p === '-inf' ? -Infinity : (p ?? 2));
const encodeOrder = (p: number): number | 'inf' | '-inf' => (p === Infinity ? 'inf' : p === -Infinity ? '-inf' : p);

export class Statistic extends tf.layers.Layer {
  static readonly className = 'Statistic';
  readonly op: StatisticOp;
  readonly axes: number[];
  readonly keepDims: boolean;
  readonly correction: number;
  readonly p: number;
  readonly eps: number;

  constructor(args: StatisticArgs) {
    super(args);
    if (!STATISTIC_OPS.includes(args.op)) throw new KerasLayerConfigError(`Statistic op must be one of ${STATISTIC_OPS.join(', ')}, got ${JSON.stringify(args.op)}`);
    if (!Array.isArray(args.axes) || args.axes.length === 0 || args.axes.some((a) => !Number.isInteger(a) || a < 1))
      throw new KerasLayerConfigError(`Statistic axes must be non-batch axes (integers >= 1), got ${JSON.stringify(args.axes)}`);
    this.op = args.op;
    this.axes = [...args.axes].sort((a, b) => a - b);
    this.keepDims = args.op === 'normalize' || Boolean(args.keepDims);
    this.correction = args.correction ?? 1;
    this.p = decodeOrder(args.p);
    if (Number.isNaN(this.p) || this.p === 0) throw new KerasLayerConfigError(`Statistic order p must be a non-zero number or 'inf' / '-inf', got ${JSON.stringify(args.p)}`);
    this.eps = args.eps ?? 1e-12;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (this.op === 'normalize') return shape;
    if (this.keepDims) return shape.map((dim, i) => (this.axes.includes(i) ? 1 : dim));
    return shape.filter((_, i) => !this.axes.includes(i));
  }

  private norm(x: tf.Tensor, keepDims: boolean): tf.Tensor {
    const { p, axes } = this;
    if (p === 2) return tf.sqrt(tf.sum(tf.square(x), axes, keepDims));
    if (p === 1) return tf.sum(tf.abs(x), axes, keepDims);
    if (p === Infinity) return tf.max(tf.abs(x), axes, keepDims);
    if (p === -Infinity) return tf.min(tf.abs(x), axes, keepDims);
    return tf.pow(tf.sum(tf.pow(tf.abs(x), p), axes, keepDims), 1 / p);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { axes, keepDims } = this;
      switch (this.op) {
        case 'var':
        case 'std': {
          const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
          const centered = tf.sub(x, tf.mean(x, axes, true));
          const variance = tf.mul(tf.sum(tf.square(centered), axes, keepDims), 1 / Math.max(count - this.correction, 0));
          return this.op === 'var' ? variance : tf.sqrt(variance);
        }
        case 'norm':
          return this.norm(x, keepDims);
        case 'normalize':
          return tf.div(x, tf.maximum(this.norm(x, true), this.eps));
        case 'logsumexp':
          return tf.logSumExp(x, axes, keepDims);
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op, axes: [...this.axes], keepDims: this.keepDims, correction: this.correction, p: encodeOrder(this.p), eps: this.eps };
  }

  lower(ctx: LoweringContext): IrTensor {
    return statistic(ctx, this);
  }
}
