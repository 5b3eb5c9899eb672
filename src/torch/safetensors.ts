// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}},
// then the tensor bytes; offsets are relative to the end of the header.
// The reader validates every claim the header makes before touching data, because a file
// handed to us may be truncated or crafted (offsets out of range, overlapping tensors, a
// header length of terabytes).
import { BYTES_PER_ELEMENT, fromLittleEndianBytes, toLittleEndianBytes, viewOf, type DType } from '../tensor/dtype.ts';
import { Tensor, sizeOf } from '../tensor/tensor.ts';
import { closeSync, writeFileSync } from 'node:fs';
import { TorchportError } from '../errors.ts';
import { allocateBlock, openForReading, readFully } from '../util/index.ts';

export class SafetensorsFormatError extends TorchportError {
  readonly code = 'E_SAFETENSORS_FORMAT';
}

/** Same limit as the reference implementation: a larger header is refused before it is read. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BY_CODE: Readonly<Record<string, DType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const CODE_BY_DTYPE = Object.fromEntries(Object.entries(DTYPE_BY_CODE).map(([code, dtype]) => [dtype, code])) as Record<DType, string>;

export interface SafetensorsFile {
  /** Tensors in file order. */
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  if (tensors.has('__metadata__')) throw new SafetensorsFormatError('a tensor cannot be named "__metadata__": safetensors reserves that key for metadata');
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SafetensorsFormatError(`metadata "${key}" must be a string (safetensors metadata maps strings to strings)`);
  }
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const tensor = tensors.get(name)!;
    header[name] = { dtype: CODE_BY_DTYPE[tensor.dtype], shape: tensor.shape, data_offsets: [offset, offset + tensor.byteLength] };
    offset += tensor.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned, as the reference writer does
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const name of names) {
    const bytes = toLittleEndianBytes(tensors.get(name)!.data);
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

/** Parses and validates a safetensors file held in memory. `where` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors data'): SafetensorsFile {
  if (bytes.byteLength < 8) throw new SafetensorsFormatError(`${where}: file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const headerLength = checkHeaderLength(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true), bytes.byteLength, where);
  const layout = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength - 8 - headerLength, where);
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, Tensor>();
  for (const entry of layout.entries) {
    tensors.set(entry.name, new Tensor(entry.dtype, entry.shape, fromLittleEndianBytes(entry.dtype, data.subarray(entry.begin, entry.end))));
  }
  return { tensors, metadata: layout.metadata };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads a safetensors file: the header first (validated against the file size before anything
 * else is read), then each tensor's bytes straight into its own array.
 */
export function readSafetensorsFile(path: string): SafetensorsFile {
  const { fd, size } = openForReading(path);
  try {
    const read = (offset: number, length: number): Uint8Array =>
      readFully(fd, allocateBlock(path, length), offset, (at) => {
        throw new SafetensorsFormatError(`${path}: file ended at byte ${at} (modified while being read?)`);
      });
    if (size < 8) throw new SafetensorsFormatError(`${path}: file is ${size} bytes, too short for the 8-byte header length`);
    const headerLength = checkHeaderLength(new DataView(read(0, 8).buffer).getBigUint64(0, true), size, path);
    const layout = parseHeader(read(8, headerLength), size - 8 - headerLength, path);
    const tensors = new Map<string, Tensor>();
    for (const entry of layout.entries) {
      const bytes = read(8 + headerLength + entry.begin, entry.end - entry.begin);
      // Fresh memory read for this tensor alone: kept as is on little-endian hosts, not copied a second time.
      const data = HOST_IS_LITTLE_ENDIAN ? viewOf(entry.dtype, bytes) : fromLittleEndianBytes(entry.dtype, bytes);
      tensors.set(entry.name, new Tensor(entry.dtype, entry.shape, data));
    }
    return { tensors, metadata: layout.metadata };
  } finally {
    closeSync(fd);
  }
}

export function writeSafetensorsFile(path: string, tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): void {
  writeFileSync(path, encodeSafetensors(tensors, metadata));
}

function checkHeaderLength(length: bigint, fileSize: number, where: string): number {
  if (length > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsFormatError(`${where}: header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  const n = Number(length);
  if (8 + n > fileSize) throw new SafetensorsFormatError(`${where}: header claims ${n} bytes but only ${fileSize - 8} follow (truncated file?)`);
  return n;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates every claim of the JSON header against the `dataLength` bytes that follow it. */
function parseHeader(headerBytes: Uint8Array, dataLength: number, where: string): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new SafetensorsFormatError(`${where}: ${problem}`);
  };
  if (headerBytes[0] !== 0x7b) fail('header does not start with "{" (not a safetensors file?)');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header is not a JSON object');

  // No prototype: a "__proto__" key in the file stays a plain key.
  const metadata = Object.create(null) as Record<string, string>;
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('__metadata__ must be an object of strings');
      for (const [key, text] of Object.entries(value as object)) {
        if (typeof text !== 'string') fail(`__metadata__.${key} must be a string`);
        metadata[key] = text as string;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null || Array.isArray(info)) return fail(`entry "${name}" is not an object`);
    const dtype = typeof info.dtype === 'string' && Object.hasOwn(DTYPE_BY_CODE, info.dtype) ? DTYPE_BY_CODE[info.dtype] : undefined;
    if (!dtype) return fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(DTYPE_BY_CODE).join(', ')})`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`tensor "${name}" has a malformed shape ${JSON.stringify(shape)}`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      return fail(`tensor "${name}" has malformed data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) fail(`tensor "${name}" data_offsets [${begin}, ${end}] fall outside the ${dataLength} data bytes`);
    const needed = sizeOf(shape) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== needed) fail(`tensor "${name}" is ${dtype}[${shape.join(', ')}] (${needed} bytes) but its offsets span ${end - begin} bytes`);
    entries.push({ name, dtype, shape, begin, end });
  }
  // Byte ranges must tile the data region exactly: an overlap would let two tensors alias, a gap
  // or trailing bytes mean the header does not describe the file.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of byOffset) {
    if (entry.begin < cursor) fail(`tensor "${entry.name}" overlaps the previous tensor (starts at ${entry.begin}, previous ends at ${cursor})`);
    if (entry.begin > cursor) fail(`bytes ${cursor}..${entry.begin} before tensor "${entry.name}" belong to no tensor`);
    cursor = entry.end;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} trailing bytes after the last tensor belong to no tensor`);
  return { entries, metadata };
}
