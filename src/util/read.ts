// Reading and hashing files of any size. One `readSync` call moves at most 2^31 - 1 bytes and one
// `Hash.update` takes at most about 2 GiB, while weights files (a 128256 x 8192 bf16 embedding is
// 2 GiB) and tensors can be larger: every read and hash here goes in chunks.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import { constants } from 'node:buffer';
import { InputFileError } from '../errors.ts';

const CHUNK_BYTES = 1 << 30;

/** The largest byte array this Node can allocate (4 GiB on 64-bit Node 20). */
export const MAX_ARRAY_BYTES = constants.MAX_LENGTH;

/**
 * Fills `out` from `fd` starting at file position `position`, in chunks. `onShort` is called (and
 * must throw) when the file ends first.
 */
export function readFully(fd: number, out: Uint8Array, position: number, onShort: (at: number) => never): Uint8Array {
  let done = 0;
  while (done < out.byteLength) {
    const n = readSync(fd, out, done, Math.min(CHUNK_BYTES, out.byteLength - done), position + done);
    if (n === 0) onShort(position + done);
    done += n;
  }
  return out;
}

/** Feeds `bytes` to `hash` in chunks that Hash.update accepts. */
export function updateHash(hash: Hash, bytes: Uint8Array): Hash {
  for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) hash.update(bytes.subarray(at, Math.min(bytes.byteLength, at + CHUNK_BYTES)));
  return hash;
}

export function sha256Chunked(bytes: Uint8Array): string {
  return updateHash(createHash('sha256'), bytes).digest('hex');
}

/** One contiguous block for `length` bytes of `path`, or an error that says why there cannot be one. */
export function allocateBlock(path: string, length: number): Uint8Array {
  if (length > MAX_ARRAY_BYTES) {
    throw new InputFileError(path, `holds one record of ${length} bytes, more than the ${MAX_ARRAY_BYTES} bytes Node can keep in one array`);
  }
  try {
    return new Uint8Array(length);
  } catch (error) {
    throw new InputFileError(path, `cannot allocate ${length} bytes to read one record (${(error as Error).message})`, { cause: error });
  }
}

/** Opens a file the user named for reading, with its size; failures are InputFileErrors naming it. Close `fd` when done. */
export function openForReading(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new InputFileError(path, `cannot be opened (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  try {
    return { fd, size: fstatSync(fd).size };
  } catch (error) {
    closeSync(fd);
    throw new InputFileError(path, 'cannot be read', { cause: error });
  }
}
