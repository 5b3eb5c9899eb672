// TopK: the k largest values along the last axis, largest first (PyTorch's x.topk(k, dim).values
// once the builder has put dim last). Lowers to TFLite TOPK_V2, whose int32 indices go unused.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext } from '../../tflite/lower/index.ts';
import { topK } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface TopKArgs extends NonNullable<LayerArgs> {
  k: number;
}

export class TopK extends tf.layers.Layer {
  static readonly className = 'TopK';
  readonly k: number;

  constructor(args: TopKArgs) {
    super(args);
    if (!Number.isInteger(args.k) || args.k < 1) throw new KerasLayerConfigError(`TopK k must be a positive integer, got ${JSON.stringify(args.k)}`);
    this.k = args.k;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.k];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.topk(Array.isArray(inputs) ? inputs[0]! : inputs, this.k, true).values);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), k: this.k };
  }

  lower(ctx: LoweringContext): IrTensor {
    return topK(ctx, this);
  }
}
