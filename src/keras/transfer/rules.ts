// The mapping table: for each Keras layer class, which PyTorch parameter fills which Keras
// weight, in which layout, and which hyperparameters must agree. transfer.ts only interprets it.
// torchport's own layer classes carry their rule themselves (a static `transferRule`), next to
// the layer and the op family that builds it.
import type * as tf from '@tensorflow/tfjs';
import { CHANNEL_BROADCAST, DEPTHWISE, IDENTITY, permute, type WeightLayout } from './layouts.ts';

export interface WeightRule {
  /** The weight's name inside the Keras layer ("kernel" in "conv1/kernel"). */
  readonly keras: string;
  /** The parameter's name inside the PyTorch module ("weight" in "conv1.weight"). */
  readonly torch: string;
  /**
   * A second parameter of the module added elementwise to the first (same shape and layout):
   * PyTorch's recurrent layers keep two biases (bias_ih, bias_hh) where Keras's LSTM has one.
   */
  readonly plus?: string;
  readonly layout: WeightLayout | ((layer: tf.layers.Layer) => WeightLayout);
  /**
   * The Keras constructor flag that creates this weight (`useBias`, `scale`, `center`): named in
   * the message when one side has the parameter and the other does not.
   */
  readonly flag?: string;
  /** The value that makes the parameter a no-op (bias 0, scale 1): then Keras may lack it harmlessly. */
  readonly neutral?: number;
  /** A mask: a bool PyTorch tensor is accepted and stored as 1 / 0 (every other weight must be floating point). */
  readonly mask?: boolean;
}

export interface CheckContext {
  readonly modulePath: string;
  /** The epsilon the PyTorch normalization module was built with. */
  readonly torchEpsilon: number;
}

/** Returns what is wrong, or undefined when the hyperparameter agrees with PyTorch. */
export type HyperparameterCheck = (layer: tf.layers.Layer, context: CheckContext) => string | undefined;

export interface LayerRule {
  readonly weights: readonly WeightRule[];
  /** A likelier cause to add to a shape mismatch message, when the shapes suggest one. */
  readonly shapeHint?: (torchShape: readonly number[], kerasShape: readonly number[]) => string | undefined;
  /** PyTorch buffers of the module that mean nothing at inference. */
  readonly ignored?: readonly string[];
  readonly checks?: readonly HyperparameterCheck[];
}

const bias: WeightRule = { keras: 'bias', torch: 'bias', layout: IDENTITY, flag: 'useBias', neutral: 0 };

/** Keras's default normalization epsilon (1e-3) is 100x PyTorch's (1e-5): a silent difference. */
const epsilonMatches =
  (torchName: string): HyperparameterCheck =>
  (layer, { torchEpsilon }) => {
    const epsilon = layer.getConfig()['epsilon'];
    if (typeof epsilon !== 'number') return `cannot read epsilon from the Keras layer config`;
    if (Math.abs(epsilon - torchEpsilon) <= 1e-5 * torchEpsilon) return undefined;
    return `epsilon is ${epsilon} but the PyTorch ${torchName} used ${torchEpsilon}: create the Keras layer with epsilon: ${torchEpsilon} (or pass the PyTorch module's real eps in the torchEpsilon option)`;
  };

// PyTorch's normalized_shape (C, H, W) is laid out channels-first; a Keras LayerNormalization over
// several axes of an NHWC tensor holds its gamma as (H, W, C). Only the channel axis is mapped.
const normalizesOneAxis: HyperparameterCheck = (layer) => {
  const axis = layer.getConfig()['axis'];
  const axes = Array.isArray(axis) ? axis : [axis];
  if (axes.length === 1 && typeof axes[0] === 'number') return undefined;
  return `normalizes over axes ${JSON.stringify(axis)}; only a LayerNorm over the channel axis alone (normalized_shape = (C,), Keras axis: -1) is supported`;
};

// A Dense right after Flatten of a channels-last feature map sees its inputs in NHWC flatten
// order while the PyTorch Linear was trained on NCHW flatten order: its rows are reordered. A
// Permute or Reshape before the Flatten means the Keras model already reproduces PyTorch's order.
function denseKernelLayout(layer: tf.layers.Layer): WeightLayout {
  const flatten = layer.inboundNodes[0]?.inboundLayers[0];
  if (flatten?.getClassName() !== 'Flatten') return permute(1, 0);
  const source = flatten.inboundNodes[0]?.inboundLayers[0];
  const sourceClass = source?.getClassName();
  if (sourceClass === 'Permute' || sourceClass === 'Reshape') return permute(1, 0);
  const shape = flatten.inboundNodes[0]?.inputShapes;
  const featureMap = (Array.isArray(shape?.[0]) ? shape[0] : shape) as (number | null)[] | undefined;
  if (!featureMap || featureMap.length < 3 || featureMap.slice(1).some((d) => d === null)) return permute(1, 0);
  const channels = featureMap[featureMap.length - 1] as number;
  const spatial = (featureMap.slice(1, -1) as number[]).reduce((a, b) => a * b, 1);
  return spatial === 1 ? permute(1, 0) : { kind: 'flattenedDense', spatial, channels };
}

// PyTorch stores in_channels / groups on axis 1: a mismatch there is usually a grouped conv.
const groupedConvHint = (torch: readonly number[], keras: readonly number[]): string | undefined => {
  const [perGroup, channels] = [torch[1], keras[2]];
  if (torch.length !== 4 || keras.length !== 4 || perGroup === undefined || channels === undefined || perGroup === channels || channels % perGroup !== 0) return undefined;
  const groups = channels / perGroup;
  return perGroup === 1
    ? `the PyTorch conv looks depthwise (groups = ${groups} = in_channels): use a DepthwiseConv2D with depthMultiplier ${torch[0]! / groups}`
    : `the PyTorch conv looks grouped (groups = ${groups}): use GroupedConv2D (torchport's custom layer) with groups: ${groups}`;
};

export const CONV2D_RULE: LayerRule = { weights: [{ keras: 'kernel', torch: 'weight', layout: permute(2, 3, 1, 0) }, bias], shapeHint: groupedConvHint };
const batchNormWeights: readonly WeightRule[] = [
  { keras: 'gamma', torch: 'weight', layout: IDENTITY, flag: 'scale', neutral: 1 },
  { keras: 'beta', torch: 'bias', layout: IDENTITY, flag: 'center', neutral: 0 },
];

// Recurrent layers. PyTorch's gate blocks (rows of weight_ih / weight_hh) are i, f, g, o for the
// LSTM, the order of Keras's i, f, c, o columns: transposing is enough. Keras's LSTM and SimpleRNN
// have one bias, PyTorch two that are always added: Keras's is their sum.
const recurrentWeights = (suffix: string, prefix = ''): WeightRule[] => [
  { keras: `${prefix}kernel`, torch: `weight_ih_l0${suffix}`, layout: permute(1, 0) },
  { keras: `${prefix}recurrent_kernel`, torch: `weight_hh_l0${suffix}`, layout: permute(1, 0) },
  { keras: `${prefix}bias`, torch: `bias_ih_l0${suffix}`, plus: `bias_hh_l0${suffix}`, layout: IDENTITY, flag: 'useBias' },
];

// tfjs's LSTM defaults to hard_sigmoid gates; PyTorch's are sigmoid.
const lstmActivations = (config: Record<string, unknown>): string | undefined => {
  if (config['recurrentActivation'] !== 'sigmoid')
    return `has recurrentActivation '${String(config['recurrentActivation'])}' but PyTorch's LSTM gates use sigmoid: create it with recurrentActivation: 'sigmoid'`;
  if (config['activation'] !== 'tanh') return `has activation '${String(config['activation'])}' but PyTorch's LSTM uses tanh`;
  return undefined;
};

// PyTorch's RNN has nonlinearity 'tanh' or 'relu'; which one is the module's, not the tensors'.
const simpleRnnActivation = (config: Record<string, unknown>): string | undefined =>
  config['activation'] === 'tanh' || config['activation'] === 'relu' ? undefined : `has activation '${String(config['activation'])}' but PyTorch's RNN uses tanh or relu`;

/** Bidirectional weights are named `forward_<inner>/kernel`; the rules know them as `forward/kernel`. */
export function ruleWeightName(layerClass: string, weight: string): string {
  if (layerClass !== 'Bidirectional') return weight;
  return weight.replace(/^(forward|backward)_[^/]*\//, '$1/');
}

export const LAYER_RULES: Readonly<Record<string, LayerRule>> = {
  // PyTorch (out, in, k) -> Keras (k, in, out).
  Conv1D: { weights: [{ keras: 'kernel', torch: 'weight', layout: permute(2, 1, 0) }, bias] },
  // PyTorch (out, in / groups, kh, kw) -> Keras (kh, kw, in / groups, out).
  Conv2D: CONV2D_RULE,
  DepthwiseConv2D: { weights: [{ keras: 'depthwise_kernel', torch: 'weight', layout: DEPTHWISE }, bias] },
  // ConvTranspose2d's weight is (in, out, kh, kw); Keras's transposed kernel is (kh, kw, out, in).
  // Both are the adjoint of a cross-correlation, so no spatial flip is needed.
  Conv2DTranspose: { weights: [{ keras: 'kernel', torch: 'weight', layout: permute(2, 3, 1, 0) }, bias] },
  // Conv3d (out, in, kd, kh, kw) -> Conv3D (kd, kh, kw, in, out).
  Conv3D: { weights: [{ keras: 'kernel', torch: 'weight', layout: permute(2, 3, 4, 1, 0) }, bias] },
  // ConvTranspose3d (in, out, kd, kh, kw) -> Conv3DTranspose (kd, kh, kw, out, in), as in 2-D.
  Conv3DTranspose: { weights: [{ keras: 'kernel', torch: 'weight', layout: permute(2, 3, 4, 1, 0) }, bias] },
  // Linear (out, in) -> Dense (in, out).
  Dense: { weights: [{ keras: 'kernel', torch: 'weight', layout: denseKernelLayout }, bias] },
  BatchNormalization: {
    weights: [...batchNormWeights, { keras: 'moving_mean', torch: 'running_mean', layout: IDENTITY }, { keras: 'moving_variance', torch: 'running_var', layout: IDENTITY }],
    // A training-time counter; momentum is irrelevant at inference too, so it is not compared.
    ignored: ['num_batches_tracked'],
    checks: [epsilonMatches('BatchNorm')],
  },
  LayerNormalization: { weights: batchNormWeights, checks: [epsilonMatches('LayerNorm'), normalizesOneAxis] },
  Embedding: { weights: [{ keras: 'embeddings', torch: 'weight', layout: IDENTITY }] },
  PReLU: { weights: [{ keras: 'alpha', torch: 'weight', layout: CHANNEL_BROADCAST }] },
  // Layer 0 of the module; the graph builder redirects the layers above it (weight_ih_l1...) with overrides.
  LSTM: { weights: recurrentWeights(''), checks: [(layer) => lstmActivations(layer.getConfig())] },
  SimpleRNN: { weights: recurrentWeights(''), checks: [(layer) => simpleRnnActivation(layer.getConfig())] },
  Bidirectional: {
    weights: [...recurrentWeights('', 'forward/'), ...recurrentWeights('_reverse', 'backward/')],
    checks: [
      (layer) => {
        const config = layer.getConfig() as { mergeMode?: unknown; layer?: { className?: unknown; config?: Record<string, unknown> } };
        if (config.mergeMode !== 'concat') return `has mergeMode '${String(config.mergeMode)}' but PyTorch concatenates the two directions: use mergeMode: 'concat'`;
        if (config.layer?.className === 'SimpleRNN') return simpleRnnActivation(config.layer.config ?? {});
        if (config.layer?.className !== 'LSTM') return `wraps a ${String(config.layer?.className)}; only a wrapped LSTM or SimpleRNN has a PyTorch mapping`;
        return lstmActivations(config.layer.config ?? {});
      },
    ],
  },
};

export const SUPPORTED_LAYER_CLASSES: readonly string[] = Object.keys(LAYER_RULES);

/** A layer class that knows how PyTorch's parameters fill its weights. */
export interface CarriesTransferRule {
  readonly transferRule?: LayerRule;
}

/** The rule of a layer: Keras's own classes from the table, torchport's from the layer's class. */
export function ruleFor(layer: tf.layers.Layer): LayerRule | undefined {
  const className = layer.getClassName();
  if (Object.hasOwn(LAYER_RULES, className)) return LAYER_RULES[className];
  return (layer.constructor as CarriesTransferRule).transferRule;
}
