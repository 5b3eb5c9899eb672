// Image resizing with PyTorch's sampling rules. tfjs's UpSampling2D uses the legacy TF1 bilinear
// sampling (no half-pixel centers), which matches neither of PyTorch's align_corners modes:
// - bilinear, align_corners=False: half-pixel centers;
// - bilinear, align_corners=True: corner pixels aligned;
// - nearest: src = floor(dst * in / out), tfjs's nearest without either flag.
// Lowers to TFLite RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR with the same two flags.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { resize2d } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface Resize2DArgs extends NonNullable<LayerArgs> {
  /** Output [height, width]. */
  size: [number, number];
  method: 'bilinear' | 'nearest';
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

export class Resize2D extends tf.layers.Layer {
  static readonly className = 'Resize2D';
  readonly size: [number, number];
  readonly method: 'bilinear' | 'nearest';
  readonly alignCorners: boolean;
  readonly halfPixelCenters: boolean;

  constructor(args: Resize2DArgs) {
    super(args);
    if (!Array.isArray(args.size) || args.size.length !== 2 || args.size.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new KerasLayerConfigError(`Resize2D size must be [height, width] of positive integers, got ${JSON.stringify(args.size)}`);
    }
    if (args.method !== 'bilinear' && args.method !== 'nearest') throw new KerasLayerConfigError(`Resize2D method must be 'bilinear' or 'nearest', got ${JSON.stringify(args.method)}`);
    if (args.alignCorners && args.halfPixelCenters) throw new KerasLayerConfigError(`Resize2D cannot use alignCorners and halfPixelCenters together`);
    this.size = [args.size[0], args.size[1]];
    this.method = args.method;
    this.alignCorners = Boolean(args.alignCorners);
    this.halfPixelCenters = Boolean(args.halfPixelCenters);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 4) throw new KerasLayerConfigError(`Resize2D '${this.name}' needs a rank-4 NHWC input, got rank ${shape.length}`);
    return [shape[0] ?? null, this.size[0], this.size[1], shape[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      return this.method === 'bilinear'
        ? tf.image.resizeBilinear(x, this.size, this.alignCorners, this.halfPixelCenters)
        : tf.image.resizeNearestNeighbor(x, this.size, this.alignCorners, this.halfPixelCenters);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: [...this.size], method: this.method, alignCorners: this.alignCorners, halfPixelCenters: this.halfPixelCenters };
  }

  lower(ctx: LoweringContext): IrTensor {
    return resize2d(ctx, this);
  }
}
