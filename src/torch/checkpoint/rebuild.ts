// Turns a TensorRef (storage + offset + sizes + strides, as torch.save records a tensor) into a
// dense C-ordered Tensor. Views, slices, transposes and expanded (stride 0) tensors all become
// contiguous copies; several tensors may share one storage.
import { BYTES_PER_ELEMENT, Tensor, viewOf } from '../../tensor/index.ts';
import { CheckpointLimitError, CheckpointStorageError } from './errors.ts';
import type { TensorRef } from './python-values.ts';

export type ByteOrder = 'little' | 'big';

const HOST_BYTE_ORDER: ByteOrder = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big';

/** A storage record's bytes, with a lazily made aligned copy for strided gathers. */
export class StorageData {
  private aligned: Uint8Array | undefined;
  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
    readonly byteOrder: ByteOrder,
    /**
     * True when `bytes` is fresh memory read for this storage alone (not the caller's buffer):
     * contiguous tensors in it may then be views of these bytes instead of copies, as torch's own
     * tensors share their storage.
     */
    readonly viewable: boolean,
  ) {}
  alignedCopy(width: number): Uint8Array {
    if (this.bytes.byteOffset % Math.min(width, 4) === 0) return this.bytes;
    this.aligned ??= this.bytes.slice();
    return this.aligned;
  }
}

export interface TensorLayout {
  /** Elements of the dense result. */
  size: number;
  contiguous: boolean;
}

export function layoutOf(ref: TensorRef): TensorLayout {
  let size = 1;
  for (const dim of ref.shape) size *= dim;
  return { size, contiguous: isContiguous(ref.shape, ref.stride) };
}

/** Whether materializeTensor returns a view of the storage's bytes (no new memory) for this tensor. */
export function isView(ref: TensorRef, storage: { viewable: boolean; byteOrder: ByteOrder }): boolean {
  return storage.viewable && layoutOf(ref).contiguous && (storage.byteOrder === HOST_BYTE_ORDER || BYTES_PER_ELEMENT[ref.storage.dtype] === 1);
}

export interface MaterializeOptions {
  /** Refuse tensors whose contiguous copy would exceed this many bytes. */
  maxTensorBytes: number;
  /** Names the tensor in messages. */
  where: string;
}

export function materializeTensor(ref: TensorRef, storage: StorageData, options: MaterializeOptions): Tensor {
  const { dtype, numel } = ref.storage;
  const width = BYTES_PER_ELEMENT[dtype];
  const { shape, stride, storageOffset } = ref;
  let size = 1;
  for (const dim of shape) size *= dim;
  if (size * width > options.maxTensorBytes) {
    throw new CheckpointLimitError(
      `${options.where}: ${dtype}[${shape.join(', ')}] would take ${size * width} bytes as a contiguous copy, over the ${options.maxTensorBytes}-byte limit (maxTensorBytes)`,
    );
  }
  const needed = numel * width;
  if (storage.bytes.byteLength < needed) {
    throw new CheckpointStorageError(
      `${options.where}: storage record ${storage.name} holds ${storage.bytes.byteLength} bytes but is declared as ${numel} ${dtype} elements (${needed} bytes): the file is truncated or corrupt`,
    );
  }
  if (size === 0) return Tensor.zeros(dtype, shape);
  // The last element the view touches must lie inside the storage.
  let last = storageOffset;
  for (let i = 0; i < shape.length; i++) last += (shape[i]! - 1) * stride[i]!;
  if (last >= numel) {
    throw new CheckpointStorageError(
      `${options.where}: view (offset ${storageOffset}, sizes [${shape.join(', ')}], strides [${stride.join(', ')}]) reaches element ${last} of storage ${storage.name}, which holds ${numel}`,
    );
  }
  const contiguous = isContiguous(shape, stride);
  const bytes = storage.bytes.subarray(storageOffset * width, (storageOffset + size) * width);
  if (isView(ref, storage) && bytes.byteOffset % width === 0) return new Tensor(dtype, shape, viewOf(dtype, bytes));
  const out = Tensor.zeros(dtype, shape);
  const outBytes = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  if (contiguous) {
    outBytes.set(bytes);
  } else {
    gather(storage.alignedCopy(width), outBytes, width, shape, stride, storageOffset);
  }
  if (storage.byteOrder !== HOST_BYTE_ORDER && width > 1) swapInPlace(outBytes, width);
  return out;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Copies a strided view into C order. Elements move as 1, 2 or 4-byte units (an 8-byte element
 * is two 4-byte units) through integer arrays, so float bit patterns, NaN payloads included,
 * are copied exactly.
 */
function gather(source: Uint8Array, target: Uint8Array, width: number, shape: readonly number[], stride: readonly number[], offset: number): void {
  const unit = Math.min(width, 4);
  const per = width / unit;
  const src = unitView(source, unit);
  const dst = unitView(target, unit);
  const rank = shape.length;
  const innerSize = shape[rank - 1]!;
  const innerStep = stride[rank - 1]! * per;
  const index = new Array<number>(rank).fill(0);
  let from = offset * per;
  let to = 0;
  const outer = dst.length / (innerSize * per);
  for (let row = 0; row < outer; row++) {
    let s = from;
    if (innerStep === 0 && per === 1) {
      // An expanded (stride 0) axis repeats one element: a fill, not an element-by-element loop.
      (dst as Uint8Array).fill(src[s]!, to, to + innerSize);
      to += innerSize;
    } else {
      for (let i = 0; i < innerSize; i++, s += innerStep) {
        for (let k = 0; k < per; k++) dst[to++] = src[s + k]!;
      }
    }
    // Advance the odometer over the outer axes.
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]! += 1;
      from += stride[axis]! * per;
      if (index[axis]! < shape[axis]!) break;
      from -= stride[axis]! * per * shape[axis]!;
      index[axis] = 0;
    }
  }
}

/** An integer view of `bytes` in units of 1, 2 or 4 bytes (byteOffset must be a multiple of unit). */
function unitView(bytes: Uint8Array, unit: number): { [index: number]: number; readonly length: number } {
  if (unit === 1) return bytes;
  if (unit === 2) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}
