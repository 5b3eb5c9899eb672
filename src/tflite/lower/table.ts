// The lowering table: one entry per Keras layer class name, each a function that appends the
// layer's TFLite operators to the float IR and returns its output value(s). Graph-level
// improvements (BatchNorm folding, activation fusion, padding merge, reshape cancelling) are
// not done here but by ./passes.ts, so each entry stays the literal translation of its layer.
// Other modules add entries for their custom layers with `registerLowering`.
import type { LoweringContext } from './context.ts';
import type { IrTensor } from './ir.ts';
import type { RecurrenceStrategy } from './loop.ts';
import { conv1d, conv2d, conv2dTranspose, depthwiseConv2d, groupedConv2d, type GroupedConvolutionStrategy } from './layers/conv.ts';
import {
  activationLayer,
  dense,
  elu,
  embedding,
  identity,
  leakyRelu,
  permute,
  prelu,
  relu,
  reshape,
  softmax,
  upSampling2d,
  zeroPadding1d,
  zeroPadding2d,
} from './layers/core.ts';
import { compare, gather, select } from './layers/condition.ts';
import { add, average, concatenate, maximum, minimum, multiply } from './layers/merge.ts';
import { batchNormalization, layerNormalization } from './layers/norm.ts';
import { globalPool, pool1d, pool2d } from './layers/pool.ts';
import {
  constantArithmetic,
  constantPadding,
  constantTensor,
  cropping2d,
  geluTanh,
  hardSigmoid,
  hardSwish,
  logSoftmax,
  reduce,
  resize2d,
  slice,
  subtract,
  broadcastTo,
} from './layers/torchport.ts';

/** Settings a lowering may consult (chosen by the converter, same for the whole model). */
export interface LoweringSettings {
  readonly groupedConvolution: GroupedConvolutionStrategy;
  /** How LSTM / GRU recurrences are written: one WHILE per direction, or one cell per step. */
  readonly recurrence: RecurrenceStrategy;
}

/** Lowers one call of a Keras layer; returns its output value(s) in Keras output order. */
export type Lowering = (ctx: LoweringContext, settings: LoweringSettings) => IrTensor | IrTensor[];


const BUILTIN: Readonly<Record<string, Lowering>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  Conv2DTranspose: conv2dTranspose,
  Conv1D: conv1d,
  GroupedConv2D: (ctx, settings) => groupedConv2d(ctx, settings.groupedConvolution),
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
  BroadcastTo: broadcastTo,
  // torchport's custom layers (src/keras/layers).
  HardSwish: hardSwish,
  HardSigmoid: hardSigmoid,
  GeluTanh: geluTanh,
  LogSoftmax: logSoftmax,
  Subtract: subtract,
  ConstantArithmetic: constantArithmetic,
  ConstantPadding: constantPadding,
  ConstantTensor: constantTensor,
  Reduce: reduce,
  Resize2D: resize2d,
  Slice: slice,
  Gather: gather,
  Compare: compare,
  Select: select,
  // Inference-time identities.
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};

const registered = new Map<string, Lowering>();

/**
 * Adds (or replaces) the lowering of a Keras layer class, e.g. a custom layer of the PyTorch ->
 * Keras builder. Registered lowerings take precedence over the built-in table.
 */
export function registerLowering(className: string, lowering: Lowering): void {
  registered.set(className, lowering);
}

export function findLowering(className: string, settings: LoweringSettings): ((ctx: LoweringContext) => IrTensor | IrTensor[]) | undefined {
  const custom = registered.get(className);
  if (custom) return (ctx) => custom(ctx, settings);
  const builtin = Object.hasOwn(BUILTIN, className) ? BUILTIN[className] : undefined;
  return builtin && ((ctx: LoweringContext) => builtin(ctx, settings));
}

/** Every class name with a lowering (built-in and registered). */
export function loweredClassNames(): string[] {
  return [...new Set([...Object.keys(BUILTIN), ...registered.keys(), 'InputLayer'])].sort();
}
