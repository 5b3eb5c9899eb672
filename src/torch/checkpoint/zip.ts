// A read-only zip reader for the archives torch.save writes (PKWARE APPNOTE 6.3: end of central
// directory, zip64 records, central directory headers, local headers).
//
// Why not fflate or another general zip library: torch.save and torch.jit.save store every entry
// uncompressed (miniz, compression level 0), with 64-byte-aligned data. Refusing every other
// method means a declared size is the real size: no entry can inflate past what the file holds
// (no zip bomb), storages can be read in place, and nothing but the central directory and the
// entries actually used is ever read. All sizes and offsets are checked against the file size,
// and entry data ranges must not overlap, before any byte of an entry is touched.
import type { ByteSource } from './byte-source.ts';
import { crc32 } from './crc32.ts';
import { ZipChecksumError, ZipFormatError } from './errors.ts';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const MAX_COMMENT = 0xffff;
const METHOD_STORED = 0;

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly crc32: number;
  /** Offset of the local header; the data offset is only known once that header is read. */
  readonly localHeaderOffset: number;
  /** 0 = stored; anything else is refused when read. */
  readonly method: number;
}

export interface ZipArchive {
  /** Entries in central-directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** The bytes of an entry, CRC-checked unless `verify` is false. */
  read(entry: ZipEntry, options?: { verify?: boolean }): Uint8Array;
}

export function isZipSignature(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** Reads and validates the central directory. `where` names the file in messages. */
export function openZip(source: ByteSource, where: string): ZipArchive {
  const fail = (problem: string): never => {
    throw new ZipFormatError(`${where}: ${problem}`);
  };
  const { cdOffset, cdSize, entryCount, cdLimit } = findCentralDirectory(source, fail);
  if (entryCount > cdSize / CENTRAL_HEADER_SIZE) fail(`the directory claims ${entryCount} entries but is only ${cdSize} bytes long (corrupt zip)`);
  const cd = source.read(cdOffset, cdSize);
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const names = new TextDecoder('utf-8', { fatal: true });
  const entries = new Map<string, ZipEntry>();
  const extents: Array<{ name: string; begin: number; end: number }> = [];
  let at = 0;
  for (let i = 0; i < entryCount; i++) {
    if (at + CENTRAL_HEADER_SIZE > cd.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) fail(`central directory entry ${i} at byte ${cdOffset + at} is malformed (corrupt zip)`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const nameStart = at + CENTRAL_HEADER_SIZE;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > cd.length) fail(`central directory entry ${i} runs past the end of the directory (corrupt zip)`);
    let name: string;
    try {
      name = names.decode(cd.subarray(nameStart, extraStart));
    } catch {
      return fail(`central directory entry ${i} has a name that is not UTF-8`);
    }
    // zip64: sizes and offset saturated at 0xFFFFFFFF move to the 0x0001 extra field, in this order.
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      const zip64 = findExtraField(view, extraStart, extraLength, 0x0001);
      if (!zip64) return fail(`entry "${name}" needs a zip64 extra field but has none (corrupt zip)`);
      let p = zip64.start;
      const take = (): number => {
        if (p + 8 > zip64.end) fail(`entry "${name}" has a short zip64 extra field (corrupt zip)`);
        const value = readUint64(view, p, fail);
        p += 8;
        return value;
      };
      if (size === 0xffffffff) size = take();
      if (compressedSize === 0xffffffff) compressedSize = take();
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
    }
    if (flags & 0x1) fail(`entry "${name}" is encrypted; torch.save never encrypts`);
    if (method === METHOD_STORED && compressedSize !== size) fail(`entry "${name}" is stored but its sizes disagree (${compressedSize} vs ${size}; corrupt zip)`);
    if (localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + compressedSize > cdLimit) {
      fail(`entry "${name}" claims ${compressedSize} bytes at offset ${localHeaderOffset}, past the ${cdLimit} bytes before the directory (truncated or corrupt zip)`);
    }
    if (entries.has(name)) fail(`entry "${name}" appears twice in the directory (ambiguous, refusing)`);
    entries.set(name, { name, size, crc32: crc, localHeaderOffset, method });
    extents.push({ name, begin: localHeaderOffset, end: localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + compressedSize });
    at = next;
  }
  // The directory must be exactly the entries the record counts: a count lowered by damage would
  // otherwise silently drop the last entries (e.g. `byteorder`, changing how data is read).
  if (at !== cd.length) fail(`the central directory holds ${cd.length - at} bytes beyond its ${entryCount} declared entries (corrupt zip: entry count or directory size is wrong)`);
  // Overlapping entries would let one file's bytes be counted many times (the trick behind
  // non-recursive zip bombs); archives written by torch never overlap.
  extents.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < extents.length; i++) {
    if (extents[i]!.begin < extents[i - 1]!.end) fail(`entries "${extents[i - 1]!.name}" and "${extents[i]!.name}" overlap (corrupt or crafted zip)`);
  }
  return {
    entries,
    read(entry, options = {}) {
      // Compressed entries are listed (torch.jit.save deflates its code/ files, and the layout
      // check needs their names) but never inflated.
      if (entry.method !== METHOD_STORED) {
        fail(`entry "${entry.name}" is compressed (method ${entry.method}); torch.save stores entries uncompressed. Re-save the checkpoint with torch.save, or re-zip it without compression (zip -0)`);
      }
      const local = source.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE);
      const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
      if (lv.getUint32(0, true) !== LOCAL_SIGNATURE) fail(`entry "${entry.name}" has no local header at offset ${entry.localHeaderOffset} (corrupt zip)`);
      const nameLength = lv.getUint16(26, true);
      const extraLength = lv.getUint16(28, true);
      const dataOffset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
      if (dataOffset + entry.size > cdLimit) fail(`entry "${entry.name}" data (${entry.size} bytes at ${dataOffset}) runs past the end of the entries (truncated or corrupt zip)`);
      const localName = source.read(entry.localHeaderOffset + LOCAL_HEADER_SIZE, nameLength);
      if (!sameBytes(localName, new TextEncoder().encode(entry.name))) fail(`entry "${entry.name}" has a local header for another name (corrupt or crafted zip)`);
      const data = source.read(dataOffset, entry.size);
      if (options.verify !== false) {
        const actual = crc32(data);
        if (actual !== entry.crc32) {
          throw new ZipChecksumError(`${where}: entry "${entry.name}" fails its CRC-32 check (expected ${hex(entry.crc32)}, got ${hex(actual)}): the file is corrupt`);
        }
      }
      return data;
    },
  };
}

function findCentralDirectory(source: ByteSource, fail: (problem: string) => never): { cdOffset: number; cdSize: number; entryCount: number; cdLimit: number } {
  if (source.size < EOCD_SIZE) fail(`${source.size} bytes is too short to be a zip archive (truncated?)`);
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = source.read(tailStart, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  // The end record sits at the end, followed only by its comment: scan backwards for a signature
  // whose comment length reaches exactly to the end of the file.
  let eocd = -1;
  for (let p = tail.length - EOCD_SIZE; p >= 0; p--) {
    if (view.getUint32(p, true) === EOCD_SIGNATURE && p + EOCD_SIZE + view.getUint16(p + 20, true) === tail.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated file, or not a zip archive)');
  const diskNumber = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  const entriesOnDisk = view.getUint16(eocd + 8, true);
  let entryCount = view.getUint16(eocd + 10, true);
  if (entriesOnDisk !== entryCount) fail(`the end-of-directory record counts ${entriesOnDisk} entries on this disk but ${entryCount} in total (corrupt zip)`);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  let cdLimit = tailStart + eocd;
  if (diskNumber !== 0 || cdDisk !== 0) fail('multi-disk (split) zip archives are not supported');
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = tailStart + eocd - ZIP64_LOCATOR_SIZE;
    if (locatorAt < 0) fail('the end record asks for zip64 but there is no zip64 locator (corrupt zip)');
    const locator = source.read(locatorAt, ZIP64_LOCATOR_SIZE);
    const lv = new DataView(locator.buffer, locator.byteOffset, locator.byteLength);
    if (lv.getUint32(0, true) !== ZIP64_LOCATOR_SIGNATURE) fail('the end record asks for zip64 but there is no zip64 locator (corrupt zip)');
    const recordAt = readUint64(lv, 8, fail);
    if (recordAt + ZIP64_EOCD_SIZE > locatorAt) fail(`the zip64 end record offset ${recordAt} is out of range (corrupt zip)`);
    const record = source.read(recordAt, ZIP64_EOCD_SIZE);
    const rv = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (rv.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) fail(`no zip64 end record at offset ${recordAt} (corrupt zip)`);
    entryCount = readUint64(rv, 32, fail);
    cdSize = readUint64(rv, 40, fail);
    cdOffset = readUint64(rv, 48, fail);
    cdLimit = recordAt;
  }
  if (cdOffset + cdSize > cdLimit) fail(`the central directory (${cdSize} bytes at ${cdOffset}) lies outside the file's ${cdLimit} bytes of entries (truncated or corrupt zip)`);
  return { cdOffset, cdSize, entryCount, cdLimit: cdOffset };
}

function findExtraField(view: DataView, start: number, length: number, id: number): { start: number; end: number } | undefined {
  let p = start;
  const end = start + length;
  while (p + 4 <= end) {
    const fieldId = view.getUint16(p, true);
    const fieldSize = view.getUint16(p + 2, true);
    if (p + 4 + fieldSize > end) return undefined;
    if (fieldId === id) return { start: p + 4, end: p + 4 + fieldSize };
    p += 4 + fieldSize;
  }
  return undefined;
}

function readUint64(view: DataView, at: number, fail: (problem: string) => never): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a zip64 size or offset of ${value} bytes is beyond any real file (corrupt zip)`);
  return Number(value);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
