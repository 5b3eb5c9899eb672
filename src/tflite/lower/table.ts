// The lowering table of Keras's own layer classes: one entry per class name, each a function that
// appends the layer's TFLite operators to the float IR and returns its output value(s). torchport's
// custom layers are not here: each carries its own `lower` method (src/keras/layers, and the op
// family modules), which lower.ts calls. Graph-level improvements (BatchNorm folding, activation
// fusion, padding merge, reshape cancelling) are done by ./passes.ts, so each entry stays the
// literal translation of its layer.
import type { LoweringContext, LoweringSettings } from './context.ts';
import type { IrTensor } from '../ir/index.ts';
import { conv1d, conv2d, conv2dTranspose, conv3d, conv3dTranspose, depthwiseConv2d } from './layers/conv.ts';
import { activationLayer, dense, elu, embedding, identity, leakyRelu, permute, prelu, relu, reshape, softmax, upSampling2d, zeroPadding1d, zeroPadding2d } from './layers/core.ts';
import { add, average, concatenate, maximum, minimum, multiply } from './layers/merge.ts';
import { batchNormalization, layerNormalization } from './layers/norm.ts';
import { globalPool, pool1d, pool2d, pool3d } from './layers/pool.ts';
import { bidirectional, lstm, simpleRnn } from './layers/recurrent.ts';
import { cropping2d } from './layers/torchport.ts';

/** Lowers one call of a Keras layer; returns its output value(s) in Keras output order. */
export type Lowering = (ctx: LoweringContext, settings: LoweringSettings) => IrTensor | IrTensor[];

const BUILTIN: Readonly<Record<string, Lowering>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  Conv2DTranspose: conv2dTranspose,
  Conv1D: conv1d,
  Conv3D: conv3d,
  Conv3DTranspose: conv3dTranspose,
  Dense: dense,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Activation: activationLayer,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: elu,
  Softmax: softmax,
  ZeroPadding2D: zeroPadding2d,
  ZeroPadding1D: zeroPadding1d,
  MaxPooling2D: pool2d('MAX_POOL_2D'),
  AveragePooling2D: pool2d('AVERAGE_POOL_2D'),
  MaxPooling1D: pool1d('MAX_POOL_2D'),
  AveragePooling1D: pool1d('AVERAGE_POOL_2D'),
  MaxPooling3D: pool3d('MAX_POOL_2D'),
  AveragePooling3D: pool3d('AVERAGE_POOL_2D'),
  GlobalAveragePooling2D: globalPool('MEAN', 2),
  GlobalAveragePooling1D: globalPool('MEAN', 1),
  GlobalMaxPooling2D: globalPool('REDUCE_MAX', 2),
  GlobalMaxPooling1D: globalPool('REDUCE_MAX', 1),
  Add: add,
  Multiply: multiply,
  Average: average,
  Maximum: maximum,
  Minimum: minimum,
  Concatenate: concatenate,
  Reshape: reshape,
  Flatten: reshape,
  Permute: permute,
  UpSampling2D: upSampling2d,
  Embedding: embedding,
  Cropping2D: cropping2d,
  LSTM: lstm,
  SimpleRNN: simpleRnn,
  Bidirectional: bidirectional,
  // Inference-time identities.
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};

/** A custom layer lowers itself: torchport's layer classes implement this. */
interface SelfLowering {
  lower(ctx: LoweringContext, settings: LoweringSettings): IrTensor | IrTensor[];
}

function selfLowering(layer: unknown): SelfLowering | undefined {
  return typeof layer === 'object' && layer !== null && typeof (layer as Partial<SelfLowering>).lower === 'function' ? (layer as SelfLowering) : undefined;
}

/** The lowering of one layer: Keras's own classes from the table, torchport's from the layer itself. */
export function findLowering(className: string, layer: unknown, settings: LoweringSettings): ((ctx: LoweringContext) => IrTensor | IrTensor[]) | undefined {
  const builtin = Object.hasOwn(BUILTIN, className) ? BUILTIN[className] : undefined;
  if (builtin) return (ctx) => builtin(ctx, settings);
  const own = selfLowering(layer);
  return own && ((ctx) => own.lower(ctx, settings));
}
