import { allocate, BYTES_PER_ELEMENT, type DType, type TensorData, type TypedArrayFor } from './dtype.ts';
import { bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from './float16.ts';
import { TorchportError } from '../errors.ts';

export type Shape = readonly number[];

export class TensorShapeError extends TorchportError {
  readonly code = 'E_TENSOR_SHAPE';
}

/** A dense, C-ordered (row-major) tensor. Immutable by convention: operations return new tensors. */
export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: Shape;
  readonly data: TypedArrayFor[D];

  constructor(dtype: D, shape: Shape, data: TypedArrayFor[D]) {
    for (const dim of shape) {
      if (!Number.isSafeInteger(dim) || dim < 0) throw new TensorShapeError(`invalid dimension ${dim} in shape [${shape.join(', ')}]`);
    }
    const expected = sizeOf(shape);
    if (data.length !== expected) {
      throw new TensorShapeError(`shape [${shape.join(', ')}] needs ${expected} elements but the data holds ${data.length}`);
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  static zeros<D extends DType>(dtype: D, shape: Shape): Tensor<D> {
    return new Tensor(dtype, shape, allocate(dtype, sizeOf(shape)));
  }

  /** A float32 tensor from plain numbers (tests, small constants). */
  static fromNumbers(shape: Shape, values: ArrayLike<number>): Tensor<'float32'> {
    return new Tensor('float32', shape, Float32Array.from(values));
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteLength(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  /** The same elements under another shape of equal size. */
  reshape(shape: Shape): Tensor<D> {
    return new Tensor(this.dtype, shape, this.data);
  }

  /**
   * Reorders axes: result.shape[i] = this.shape[axes[i]] (numpy.transpose / torch.permute semantics).
   */
  permute(axes: readonly number[]): Tensor<D> {
    const rank = this.rank;
    if (axes.length !== rank || new Set(axes).size !== rank || axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
      throw new TensorShapeError(`permutation [${axes.join(', ')}] is not a permutation of the ${rank} axes of shape [${this.shape.join(', ')}]`);
    }
    const outShape = axes.map((a) => this.shape[a]!);
    const out = allocate(this.dtype, this.size);
    if (this.size === 0) return new Tensor(this.dtype, outShape, out);
    const inStrides = stridesOf(this.shape);
    // Stride in the source for each output axis; walk the output in C order with an odometer.
    const step = axes.map((a) => inStrides[a]!);
    const index = new Array<number>(rank).fill(0);
    const src = this.data as unknown as { [i: number]: number | bigint };
    const dst = out as unknown as { [i: number]: number | bigint };
    let from = 0;
    for (let to = 0; to < out.length; to++) {
      dst[to] = src[from]!;
      for (let axis = rank - 1; axis >= 0; axis--) {
        index[axis]! += 1;
        from += step[axis]!;
        if (index[axis]! < outShape[axis]!) break;
        from -= step[axis]! * outShape[axis]!;
        index[axis] = 0;
      }
    }
    return new Tensor(this.dtype, outShape, out);
  }

  /** NCHW -> NHWC for rank 4 (NCW -> NWC for rank 3, NCDHW -> NDHWC for rank 5). */
  toChannelsLast(): Tensor<D> {
    return this.permute(channelsLastAxes(this.rank));
  }

  /** NHWC -> NCHW for rank 4 (and the rank 3 / 5 analogues). */
  toChannelsFirst(): Tensor<D> {
    return this.permute(channelsFirstAxes(this.rank));
  }

  /** Element values as float32 (float16/bfloat16 decoded, integers converted). */
  toFloat32(): Tensor<'float32'> {
    if (this.dtype === 'float32') return this as unknown as Tensor<'float32'>;
    const out = new Float32Array(this.size);
    const data = this.data;
    if (this.dtype === 'float16') for (let i = 0; i < out.length; i++) out[i] = float16BitsToNumber((data as Uint16Array)[i]!);
    else if (this.dtype === 'bfloat16') for (let i = 0; i < out.length; i++) out[i] = bfloat16BitsToNumber((data as Uint16Array)[i]!);
    else if (this.dtype === 'int64') for (let i = 0; i < out.length; i++) out[i] = Number((data as BigInt64Array)[i]!);
    else for (let i = 0; i < out.length; i++) out[i] = (data as Exclude<TensorData, BigInt64Array>)[i]!;
    return new Tensor('float32', this.shape, out);
  }

  /** The elements as plain numbers in C order (float16/bfloat16 decoded, int64 converted). */
  toArray(): number[] {
    return Array.from(this.toFloat32().data);
  }

  /** A float32 tensor cast to float16 (round to nearest even). */
  toFloat16(): Tensor<'float16'> {
    const values = this.toFloat32().data;
    const out = new Uint16Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = numberToFloat16Bits(values[i]!);
    return new Tensor('float16', this.shape, out);
  }

  toBfloat16(): Tensor<'bfloat16'> {
    const values = this.toFloat32().data;
    const out = new Uint16Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = numberToBfloat16Bits(values[i]!);
    return new Tensor('bfloat16', this.shape, out);
  }

  toString(): string {
    return `Tensor<${this.dtype}>[${this.shape.join(', ')}]`;
  }
}

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** C-order element strides. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** The multi-dimensional index of flat C-order position `flat`. */
export function unravelIndex(flat: number, shape: Shape): number[] {
  const index = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    const dim = shape[i]!;
    index[i] = dim === 0 ? 0 : flat % dim;
    flat = dim === 0 ? 0 : Math.floor(flat / dim);
  }
  return index;
}

/** The inverse of a permutation: inverse[perm[i]] = i, so permute(perm) then permute(inverse) is the identity. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => (inverse[axis] = i));
  return inverse;
}

/** Axes taking channels-first (N, C, spatial...) to channels-last (N, spatial..., C). */
export function channelsLastAxes(rank: number): number[] {
  if (rank < 3) throw new TensorShapeError(`channels-first/last layouts need rank >= 3, got rank ${rank}`);
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Axes taking channels-last (N, spatial..., C) to channels-first (N, C, spatial...). */
export function channelsFirstAxes(rank: number): number[] {
  if (rank < 3) throw new TensorShapeError(`channels-first/last layouts need rank >= 3, got rank ${rank}`);
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}
