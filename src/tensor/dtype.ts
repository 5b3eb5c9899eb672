/** Element types torchport moves between PyTorch, .npy, safetensors and the runtimes. */
export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

/**
 * The typed array that holds each dtype. float16 and bfloat16 keep their raw 16-bit patterns
 * (JavaScript has no half-precision array in Node 20); use `toFloat32` to compute with them.
 */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
export type TensorData = TypedArrayFor[DType];

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
};

type ArrayConstructorFor = {
  [K in DType]: { new (length: number): TypedArrayFor[K]; new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArrayFor[K] };
};

const CONSTRUCTORS: ArrayConstructorFor = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

/**
 * A typed-array view (no copy) of little-endian `bytes` on a little-endian host; the caller must
 * have checked that byteOffset is aligned to the element size.
 */
export function viewOf<D extends DType>(dtype: D, bytes: Uint8Array): TypedArrayFor[D] {
  return new CONSTRUCTORS[dtype](bytes.buffer, bytes.byteOffset, bytes.byteLength / BYTES_PER_ELEMENT[dtype]) as TypedArrayFor[D];
}

export function isDType(value: string): value is DType {
  return (DTYPES as readonly string[]).includes(value);
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

export function allocate<D extends DType>(dtype: D, length: number): TypedArrayFor[D] {
  return new CONSTRUCTORS[dtype](length) as TypedArrayFor[D];
}

/**
 * Copies little-endian bytes into a fresh, aligned typed array (the source may sit at any
 * offset of a larger buffer, e.g. inside a zip or a safetensors file).
 */
export function fromLittleEndianBytes<D extends DType>(dtype: D, bytes: Uint8Array): TypedArrayFor[D] {
  const width = BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength % width !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements (${width} bytes each)`);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (!IS_LITTLE_ENDIAN_HOST && width > 1) swapBytesInPlace(copy, width);
  return new CONSTRUCTORS[dtype](copy.buffer, 0, bytes.byteLength / width) as TypedArrayFor[D];
}

/** The little-endian bytes of a typed array (a view when the host is little-endian). */
export function toLittleEndianBytes(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (IS_LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytesInPlace(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function swapBytesInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

const IS_LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
