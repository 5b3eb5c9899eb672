import { closeSync } from 'node:fs';
import { InputFileError } from '../../errors.ts';
import { allocateBlock, openForReading, readFully } from '../../util/index.ts';

/**
 * Random access to the bytes of a file or buffer. The zip reader only ever asks for ranges it
 * has checked against `size`, so reading a checkpoint from disk never loads more than the
 * directory, data.pkl and the storages actually used.
 */
export interface ByteSource {
  readonly size: number;
  /** `length` bytes at `offset`; the caller guarantees offset + length <= size. */
  read(offset: number, length: number): Uint8Array;
  /** True when each read returns fresh memory (a file), false when it returns a view of the caller's buffer. */
  readonly readsAreCopies: boolean;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    readsAreCopies: false,
    read: (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** A source over an open file; call `close` when done. */
export interface FileSource extends ByteSource {
  close(): void;
}

export function openFileSource(path: string): FileSource {
  const { fd, size } = openForReading(path);
  return {
    size,
    readsAreCopies: true,
    read(offset, length) {
      return readFully(fd, allocateBlock(path, length), offset, (at) => {
        throw new InputFileError(path, `ended at byte ${at} while reading ${length} bytes at ${offset} (was it truncated while being read?)`);
      });
    },
    close: () => closeSync(fd),
  };
}
