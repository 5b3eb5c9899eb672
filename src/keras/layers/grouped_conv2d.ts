// tfjs-layers' Conv2D has no `groups` argument, so a PyTorch Conv2d with 1 < groups < in_channels
// (ResNeXt, ShuffleNet) has no built-in equivalent. GroupedConv2D fills that gap:
// - its kernel is shaped exactly like Keras (Python) Conv2D's with `groups`:
//   (kh, kw, in_channels / groups, filters), so the weight permutation is Conv2D's;
// - its config uses Conv2D's keys plus `groups`, so Python Keras >= 2.3 can load a saved model
//   with custom_objects={'GroupedConv2D': keras.layers.Conv2D};
// - `call` splits the channels into `groups` slices, convolves each with its kernel slice and
//   concatenates the results (output channels of group g are filters g*F/G .. (g+1)*F/G - 1,
//   PyTorch's order).
// Channels-last only; no activation (add an Activation layer after it).
import { tf } from '../../runtimes/tfjs/index.ts';
import { CONV2D_RULE, type LayerRule } from '../transfer/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext, LoweringSettings } from '../../tflite/lower/index.ts';
import { groupedConv2d as lowerGroupedConv2d } from '../../tflite/lower/layers/index.ts';
import { TorchportError } from '../../errors.ts';

/** A custom layer's configuration or input cannot work (bad model.json, wrong input). */
export class KerasLayerConfigError extends TorchportError {
  readonly code = 'E_KERAS_LAYER_CONFIG';
}

export interface GroupedConv2DArgs {
  filters: number;
  kernelSize: number | [number, number];
  groups: number;
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dilationRate?: number | [number, number];
  useBias?: boolean;
  name?: string;
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  trainable?: boolean;
  dtype?: 'float32';
  /** Accepted for Keras Conv2D config compatibility: only 'linear' (or absent). */
  activation?: string;
  /** Accepted for Keras Conv2D config compatibility: only 'channelsLast' (or absent). */
  dataFormat?: string;
}

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

function pair(value: number | [number, number] | undefined, fallback: number, what: string): [number, number] {
  const [a, b] = value === undefined ? [fallback, fallback] : typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) throw new KerasLayerConfigError(`GroupedConv2D ${what} must be positive integers, got ${JSON.stringify(value)}`);
  return [a, b];
}

export class GroupedConv2D extends tf.layers.Layer {
  static readonly className = 'GroupedConv2D';
  /** PyTorch (out, in / groups, kh, kw) -> (kh, kw, in / groups, out), as Conv2D. */
  static readonly transferRule: LayerRule = CONV2D_RULE;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly groups: number;
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: [number, number];
  readonly useBias: boolean;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupedConv2DArgs) {
    super(args as LayerArgs);
    if (!Number.isInteger(args.filters) || args.filters < 1) throw new KerasLayerConfigError(`GroupedConv2D filters must be a positive integer, got ${args.filters}`);
    if (!Number.isInteger(args.groups) || args.groups < 1) throw new KerasLayerConfigError(`GroupedConv2D groups must be a positive integer, got ${args.groups}`);
    if (args.filters % args.groups !== 0) throw new KerasLayerConfigError(`GroupedConv2D filters (${args.filters}) must be divisible by groups (${args.groups})`);
    if (args.padding !== undefined && args.padding !== 'valid' && args.padding !== 'same')
      throw new KerasLayerConfigError(`GroupedConv2D padding must be 'valid' or 'same', got ${JSON.stringify(args.padding)}`);
    // Keras Conv2D configs carry these; anything but the defaults would be silently dropped.
    if (args.activation !== undefined && args.activation !== 'linear')
      throw new KerasLayerConfigError(`GroupedConv2D has no fused activation (got ${JSON.stringify(args.activation)}): follow it with an Activation layer`);
    if (args.dataFormat !== undefined && args.dataFormat !== 'channelsLast') throw new KerasLayerConfigError(`GroupedConv2D is channels-last only (got dataFormat ${JSON.stringify(args.dataFormat)})`);
    this.filters = args.filters;
    this.groups = args.groups;
    this.kernelSize = pair(args.kernelSize, 1, 'kernelSize');
    this.strides = pair(args.strides, 1, 'strides');
    this.dilationRate = pair(args.dilationRate, 1, 'dilationRate');
    this.padding = args.padding ?? 'valid';
    this.useBias = args.useBias ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (shape.length !== 4 || typeof channels !== 'number') throw new KerasLayerConfigError(`GroupedConv2D '${this.name}' needs a rank-4 NHWC input with known channels, got [${shape.join(', ')}]`);
    if (channels % this.groups !== 0) throw new KerasLayerConfigError(`GroupedConv2D '${this.name}': input channels (${channels}) must be divisible by groups (${this.groups})`);
    this.kernel = this.addWeight('kernel', [...this.kernelSize, channels / this.groups, this.filters], 'float32', tf.initializers.glorotUniform({}));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const xs = tf.split(x, this.groups, 3);
      const ks = tf.split(kernel, this.groups, 3);
      const ys = xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ks[g] as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate));
      const y = ys.length === 1 ? ys[0]! : tf.concat(ys, 3);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const spatial = [shape[1], shape[2]].map((size, i) => {
      if (size === null || size === undefined) return null;
      const extent = (this.kernelSize[i]! - 1) * this.dilationRate[i]! + 1;
      return this.padding === 'same' ? Math.ceil(size / this.strides[i]!) : Math.floor((size - extent) / this.strides[i]!) + 1;
    });
    return [shape[0] ?? null, spatial[0]!, spatial[1]!, this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: [...this.dilationRate],
      groups: this.groups,
      activation: 'linear',
      useBias: this.useBias,
    };
  }

  lower(ctx: LoweringContext, settings: LoweringSettings): IrTensor {
    return lowerGroupedConv2d(ctx, settings.groupedConvolution);
  }
}

export function groupedConv2d(args: GroupedConv2DArgs): GroupedConv2D {
  return new GroupedConv2D(args);
}

/**
 * Python Keras (>= 2.3) writes grouped convolutions as Conv2D with `groups` > 1, a key tfjs's
 * Conv2D would silently ignore. Rewrites those layers of a Keras JSON topology (in place, nested
 * models included) to GroupedConv2D, whose weights and config are the same; returns how many.
 */
export function adoptGroupedConvolutions(topology: unknown): number {
  if (typeof topology !== 'object' || topology === null) return 0;
  const node = topology as Record<string, unknown>;
  let count = 0;
  const config = node['config'];
  if (node['class_name'] === 'Conv2D' && typeof config === 'object' && config !== null) {
    const groups = (config as Record<string, unknown>)['groups'];
    if (typeof groups === 'number' && groups > 1) {
      node['class_name'] = GroupedConv2D.className;
      count++;
    }
  }
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) count += adoptGroupedConvolutions(item);
    else if (typeof value === 'object' && value !== null) count += adoptGroupedConvolutions(value);
  }
  return count;
}
