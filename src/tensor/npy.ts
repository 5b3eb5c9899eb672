// The .npy format (numpy's NEP 1): magic "\x93NUMPY", version, a little-endian header length,
// then an ASCII Python-dict header {'descr', 'fortran_order', 'shape'} padded to 64 bytes, then the data.
import { BYTES_PER_ELEMENT, fromLittleEndianBytes, toLittleEndianBytes, type DType, type TensorData } from './dtype.ts';
import { Tensor, sizeOf } from './tensor.ts';
import { TorchportError } from '../errors.ts';

export class NpyFormatError extends TorchportError {
  readonly code = 'E_NPY_FORMAT';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// numpy type strings for the dtypes .npy files here may hold ('<' little-endian, '|' byte-sized).
const DESCR_OF: Partial<Record<DType, string>> = {
  float32: '<f4',
  float64: '<f8',
  float16: '<f2',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  bool: '|b1',
};
const DTYPE_OF = new Map<string, DType>(Object.entries(DESCR_OF).map(([dtype, descr]) => [descr, dtype as DType]));
// '=' (native) means little-endian on every machine numpy files here are made on; single bytes
// may be written with '<' or '=' as well as '|'.
for (const [descr, dtype] of [...DTYPE_OF]) {
  DTYPE_OF.set(`=${descr.slice(1)}`, dtype);
  if (descr.startsWith('|')) DTYPE_OF.set(`<${descr.slice(1)}`, dtype);
}

export function encodeNpy(tensor: Tensor): Uint8Array {
  const descr = DESCR_OF[tensor.dtype];
  if (!descr) throw new NpyFormatError(`.npy has no standard type for ${tensor.dtype}; convert the tensor to float32 first`);
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Version 1.0: magic(6) + version(2) + header length(2) + header, total a multiple of 64, ending in '\n'.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new NpyFormatError(`shape [${tensor.shape.join(', ')}] makes a header too long for .npy version 1.0`);
  const data = toLittleEndianBytes(tensor.data);
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}

/** Parses a .npy file. `where` names the file in error messages. */
export function decodeNpy(bytes: Uint8Array, where = '.npy data'): Tensor {
  const fail = (problem: string): never => {
    throw new NpyFormatError(`${where}: ${problem}`);
  };
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (the magic string \\x93NUMPY is missing)');
  const major = bytes[6]!;
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = bytes[8]! | (bytes[9]! << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) fail('truncated header');
    headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLength > bytes.byteLength) fail(`header claims ${headerLength} bytes but the file has ${bytes.byteLength}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`malformed header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True') fail('Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray(a) first');
  const dtype = DTYPE_OF.get(descr);
  if (!dtype) {
    const bigEndian = descr.startsWith('>');
    return fail(
      bigEndian
        ? `big-endian data ('${descr}') is not supported; save with a.astype(a.dtype.newbyteorder('<'))`
        : `unsupported dtype '${descr}' (supported: ${[...new Set(Object.values(DESCR_OF))].join(', ')})`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      if (!/^\d+L?$/.test(part)) fail(`malformed shape (${shapeText})`);
      return Number.parseInt(part, 10);
    });
  const dataStart = headerStart + headerLength;
  const needed = sizeOf(shape) * BYTES_PER_ELEMENT[dtype];
  if (!Number.isSafeInteger(needed)) fail(`shape (${shapeText}) is too large`);
  const available = bytes.byteLength - dataStart;
  if (available !== needed) {
    fail(`shape (${shapeText}) of ${descr} needs ${needed} data bytes but the file has ${available}${available < needed ? ' (truncated?)' : ''}`);
  }
  const data: TensorData = fromLittleEndianBytes(dtype, bytes.subarray(dataStart, dataStart + needed));
  return new Tensor(dtype, shape, data);
}
