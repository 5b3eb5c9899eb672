// How a PyTorch parameter's memory layout maps onto a Keras weight's. Each layout knows the
// PyTorch shape it accepts for a given Keras shape (for error messages) and how to convert.
import { Tensor, sizeOf, type Shape } from '../../tensor/index.ts';

export type WeightLayout =
  /** Same shape, same element order (biases, BatchNorm statistics, Embedding tables). */
  | { readonly kind: 'identity' }
  /** keras = torch.permute(axes), e.g. Conv2D (out, in, kh, kw) -> (kh, kw, in, out) is [2, 3, 1, 0]. */
  | { readonly kind: 'permute'; readonly axes: readonly number[] }
  /**
   * Depthwise convolution: PyTorch (in * m, 1, kh, kw) -> Keras (kh, kw, in, m). PyTorch's output
   * channel c * m + j (group c, copy j) is Keras's (channel c, multiplier j), so permuting to
   * (kh, kw, in * m, 1) and splitting that axis as (in, m) is exact.
   */
  | { readonly kind: 'depthwise' }
  /** PReLU: PyTorch (C) or (1) broadcast along the Keras alpha's last (channel) axis. */
  | { readonly kind: 'channelBroadcast' }
  /**
   * Dense fed by Flatten of a channels-last tensor of `spatial` x `channels`: PyTorch flattened
   * NCHW, so its input feature c * S + s is Keras's feature s * C + c. Transposing and reordering
   * the kernel rows here means no transpose has to run at inference.
   */
  | { readonly kind: 'flattenedDense'; readonly spatial: number; readonly channels: number }
  /**
   * Dense fed by a flattened tensor whose features Keras holds in another order: the PyTorch input
   * (without batch) has shape `source` and Keras flattened source.permute(perm). The kernel rows
   * are reordered the same way (the general form of flattenedDense, used by the graph builder).
   */
  | { readonly kind: 'permutedRows'; readonly source: readonly number[]; readonly perm: readonly number[] }
  /**
   * A constant broadcast against a value: PyTorch's tensor gets leading 1-axes up to `rank`
   * (numpy broadcasting), then is permuted into the value's Keras layout.
   */
  | { readonly kind: 'aligned'; readonly rank: number; readonly axes: readonly number[] }
  /**
   * A grouped convolution kernel held by an ungrouped Keras layer as its block-diagonal
   * equivalent: keras = torch.permute(axes) has `groups` times fewer channels on Keras axis
   * `narrow` than Keras's kernel; group g (the g-th slice of Keras axis `full`) fills slice g of
   * axis `narrow`, every other entry is zero (those channel pairs are not connected in PyTorch).
   */
  | { readonly kind: 'blockDiagonal'; readonly axes: readonly number[]; readonly groups: number; readonly narrow: number; readonly full: number }
  /**
   * A PyTorch tensor of shape `torch` permuted, then reshaped to Keras's shape (nn.Bilinear's weight
   * (out, in1, in2) as a Dense kernel (in1, out * in2): permute(1, 0, 2), then merge the last two).
   */
  | { readonly kind: 'permuteReshape'; readonly torch: readonly number[]; readonly axes: readonly number[] }
  /**
   * A convolution kernel dilated with zeros, then permuted: PyTorch's (a, b, k1, k2, ...) with
   * dilation d becomes (a, b, (k1 - 1) * d1 + 1, ...), tap t at position t * d, zeros between (a
   * dilated transposed convolution as an ordinary one), then permute(axes).
   */
  | { readonly kind: 'dilated'; readonly dilation: readonly number[]; readonly axes: readonly number[] };

export const IDENTITY: WeightLayout = { kind: 'identity' };
export const permute = (...axes: number[]): WeightLayout => ({ kind: 'permute', axes });
export const DEPTHWISE: WeightLayout = { kind: 'depthwise' };
export const CHANNEL_BROADCAST: WeightLayout = { kind: 'channelBroadcast' };

export function describeLayout(layout: WeightLayout): string {
  switch (layout.kind) {
    case 'identity':
      return 'copied as is';
    case 'permute':
      return `permute(${layout.axes.join(', ')})`;
    case 'depthwise':
      return 'permute(2, 3, 0, 1), then (kh, kw, in*m, 1) -> (kh, kw, in, m)';
    case 'channelBroadcast':
      return 'broadcast along the last (channel) axis';
    case 'flattenedDense':
      return `transpose, rows reordered from NCHW to NHWC flatten order (${layout.spatial} positions x ${layout.channels} channels)`;
    case 'permutedRows':
      return `transpose, rows reordered as the flattened input [${layout.source.join(', ')}] permuted by (${layout.perm.join(', ')})`;
    case 'aligned':
      return `broadcast to rank ${layout.rank}, then permute(${layout.axes.join(', ')})`;
    case 'blockDiagonal':
      return `permute(${layout.axes.join(', ')}), then ${layout.groups} groups laid block-diagonally along axes ${layout.narrow} and ${layout.full}`;
    case 'permuteReshape':
      return `permute(${layout.axes.join(', ')}) of [${layout.torch.join(', ')}], then reshaped`;
    case 'dilated':
      return `spatial taps spread by dilation (${layout.dilation.join(', ')}) with zeros between, then permute(${layout.axes.join(', ')})`;
  }
}

/** The PyTorch shape a layout accepts for a Keras weight shape, for messages. */
export function expectedTorchShape(layout: WeightLayout, kerasShape: Shape): string {
  const show = (shape: Shape) => `[${shape.join(', ')}]`;
  switch (layout.kind) {
    case 'identity':
      return show(kerasShape);
    case 'permute': {
      const torch = new Array<number>(kerasShape.length);
      layout.axes.forEach((from, to) => (torch[from] = kerasShape[to]!));
      return show(torch);
    }
    case 'depthwise': {
      const [kh, kw, channels, multiplier] = kerasShape;
      return show([channels! * multiplier!, 1, kh!, kw!]);
    }
    case 'channelBroadcast':
      return `[${kerasShape[kerasShape.length - 1]}] or [1]`;
    case 'flattenedDense':
    case 'permutedRows':
      return show([kerasShape[1]!, kerasShape[0]!]);
    case 'aligned': {
      const torch = new Array<number>(kerasShape.length);
      layout.axes.forEach((from, to) => (torch[from] = kerasShape[to]!));
      return `${show(torch)} (leading 1-axes optional)`;
    }
    case 'blockDiagonal': {
      const torch = new Array<number>(kerasShape.length);
      layout.axes.forEach((from, to) => (torch[from] = to === layout.narrow ? kerasShape[to]! / layout.groups : kerasShape[to]!));
      return show(torch);
    }
    case 'permuteReshape':
      return show(layout.torch);
    case 'dilated': {
      const torch = new Array<number>(kerasShape.length);
      layout.axes.forEach((from, to) => (torch[from] = kerasShape[to]!));
      return show(torch.map((d, i) => (i >= 2 ? (d - 1) / layout.dilation[i - 2]! + 1 : d)));
    }
  }
}

/** Converts a PyTorch tensor to a Keras weight of `kerasShape`; undefined when the shapes do not fit. */
export function toKerasLayout(torch: Tensor<'float32'>, layout: WeightLayout, kerasShape: Shape): Tensor<'float32'> | undefined {
  const same = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);
  switch (layout.kind) {
    case 'identity':
      return same(torch.shape, kerasShape) ? torch : undefined;
    case 'permute':
      if (torch.rank !== layout.axes.length || !layout.axes.every((from, to) => torch.shape[from] === kerasShape[to])) return undefined;
      return torch.permute(layout.axes);
    case 'depthwise': {
      if (kerasShape.length !== 4) return undefined;
      const [kh, kw, channels, multiplier] = kerasShape as [number, number, number, number];
      if (!same(torch.shape, [channels * multiplier, 1, kh, kw])) return undefined;
      return torch.permute([2, 3, 0, 1]).reshape(kerasShape);
    }
    case 'channelBroadcast': {
      const channels = kerasShape[kerasShape.length - 1] ?? 1;
      if (torch.rank !== 1 || (torch.size !== 1 && torch.size !== channels)) return undefined;
      const out = new Float32Array(sizeOf(kerasShape));
      for (let i = 0; i < out.length; i++) out[i] = torch.data[torch.size === 1 ? 0 : i % channels]!;
      return new Tensor('float32', kerasShape, out);
    }
    case 'flattenedDense': {
      const { spatial, channels } = layout;
      const [features, units] = kerasShape as [number, number];
      if (kerasShape.length !== 2 || features !== spatial * channels || !same(torch.shape, [units, features])) return undefined;
      // (units, C, S) -> (S, C, units) -> rows s * C + c.
      return torch.reshape([units, channels, spatial]).permute([2, 1, 0]).reshape(kerasShape);
    }
    case 'permutedRows': {
      const [features, units] = kerasShape as [number, number];
      if (kerasShape.length !== 2 || features !== sizeOf(layout.source) || !same(torch.shape, [units, features])) return undefined;
      return torch
        .reshape([units, ...layout.source])
        .permute([0, ...layout.perm.map((axis) => axis + 1)])
        .reshape([units, features])
        .permute([1, 0]);
    }
    case 'aligned': {
      if (torch.rank > layout.rank) return undefined;
      const padded = torch.reshape([...new Array<number>(layout.rank - torch.rank).fill(1), ...torch.shape]);
      if (!layout.axes.every((from, to) => padded.shape[from] === kerasShape[to])) return undefined;
      return padded.permute(layout.axes);
    }
    case 'blockDiagonal':
      return blockDiagonal(torch, layout, kerasShape);
    case 'permuteReshape':
      if (!same(torch.shape, layout.torch) || torch.size !== sizeOf(kerasShape)) return undefined;
      return torch.permute(layout.axes).reshape(kerasShape);
    case 'dilated': {
      const spread = dilate(torch, layout.dilation);
      if (spread === undefined || !layout.axes.every((from, to) => spread.shape[from] === kerasShape[to])) return undefined;
      return spread.permute(layout.axes);
    }
  }
}

/** A kernel (a, b, k1, k2, ...) with its spatial taps spread `dilation` apart, zeros between. */
function dilate(torch: Tensor<'float32'>, dilation: readonly number[]): Tensor<'float32'> | undefined {
  if (torch.rank !== dilation.length + 2) return undefined;
  const shape = torch.shape.map((d, i) => (i >= 2 ? (d - 1) * dilation[i - 2]! + 1 : d));
  const out = new Float32Array(sizeOf(shape));
  const index = new Array<number>(torch.rank).fill(0);
  for (let flat = 0; flat < torch.size; flat++) {
    let rest = flat;
    for (let axis = torch.rank - 1; axis >= 0; axis--) {
      const size = torch.shape[axis]!;
      index[axis] = rest % size;
      rest = Math.floor(rest / size);
    }
    let target = 0;
    for (let axis = 0; axis < torch.rank; axis++) target = target * shape[axis]! + index[axis]! * (axis >= 2 ? dilation[axis - 2]! : 1);
    out[target] = torch.data[flat]!;
  }
  return new Tensor('float32', shape, out);
}

function blockDiagonal(torch: Tensor<'float32'>, layout: Extract<WeightLayout, { kind: 'blockDiagonal' }>, kerasShape: Shape): Tensor<'float32'> | undefined {
  const { axes, groups, narrow, full } = layout;
  const perGroup = kerasShape[narrow]! / groups;
  const fullPerGroup = kerasShape[full]! / groups;
  if (torch.rank !== axes.length || !Number.isInteger(perGroup) || !Number.isInteger(fullPerGroup)) return undefined;
  if (!axes.every((from, to) => torch.shape[from] === (to === narrow ? perGroup : kerasShape[to]))) return undefined;
  const source = torch.permute(axes);
  const strides = (shape: Shape) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const [from, to] = [strides(source.shape), strides(kerasShape)];
  const out = new Float32Array(sizeOf(kerasShape));
  for (let flat = 0; flat < source.size; flat++) {
    let target = 0;
    const group = Math.floor((Math.floor(flat / from[full]!) % kerasShape[full]!) / fullPerGroup);
    for (let axis = 0; axis < kerasShape.length; axis++) {
      const index = Math.floor(flat / from[axis]!) % source.shape[axis]!;
      target += (axis === narrow ? group * perGroup + index : index) * to[axis]!;
    }
    out[target] = source.data[flat]!;
  }
  return new Tensor('float32', kerasShape, out);
}
