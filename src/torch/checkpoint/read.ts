// Reads a PyTorch checkpoint written by torch.save (zip format, PyTorch >= 1.6) without Python:
// the archive layout is `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (one
// raw record per storage), `<archive>/version` and, since PyTorch 2.1, `<archive>/byteorder`.
import { totalmem } from 'node:os';
import { BYTES_PER_ELEMENT, Tensor } from '../../tensor/index.ts';
import { bufferSource, openFileSource, type ByteSource } from './byte-source.ts';
import { CheckpointDTypeError, CheckpointFormatError, CheckpointLimitError, CheckpointStorageError, LegacyCheckpointError, TorchScriptArchiveError } from './errors.ts';
import { unpickle, type PickleLimits } from './pickle.ts';
import { PyTuple, StorageRef, pythonRepr, pythonTypeName, type PyValue, type TensorRef } from './python-values.ts';
import { isView, layoutOf, materializeTensor, StorageData, type ByteOrder } from './rebuild.ts';
import { selectWeights, type MetadataValue, type WalkLimits } from './select.ts';
import { storageKindOf, torchGlobalResolver } from './torch-globals.ts';
import { isZipSignature, openZip, type ZipArchive, type ZipEntry } from './zip.ts';

export interface CheckpointLimits extends PickleLimits, WalkLimits {
  /** data.pkl larger than this is refused before it is read. */
  maxPickleBytes: number;
  /** A tensor whose contiguous copy would exceed this is refused (an expanded view can claim terabytes). */
  maxTensorBytes: number;
  /** All storages read plus all dense copies made, together (see checkMemoryBudget). */
  maxTotalBytes: number;
}

export interface ReadCheckpointOptions {
  /** Names the file in error messages. */
  where?: string;
  /** Which entry holds the weights ("state_dict", "model/ema"); see select.ts for the default rule. */
  key?: string;
  /** Check each entry read against its CRC-32 (default true). */
  verifyChecksums?: boolean;
  limits?: Partial<CheckpointLimits>;
}

export interface Checkpoint {
  /** The selected weights, flattened to dotted names, as dense C-ordered tensors. */
  tensors: Map<string, Tensor>;
  /** Every other top-level entry (epoch, config, optimizer state...) as JSON-friendly values. */
  metadata: Record<string, MetadataValue>;
  /** Path of the entry the weights came from, or null for a bare state_dict. */
  selectedKey: string | null;
  /** The archive's top-level folder name (torch uses the file's base name or "archive"). */
  archiveName: string;
  /** Content of `<archive>/version`, if present. */
  formatVersion: string | undefined;
  byteOrder: ByteOrder;
}

const GiB = 1024 * 1024 * 1024;
/** Half the machine's memory, at least 2 GiB and at most 64 GiB: a bomb fails fast instead of swapping. */
const DEFAULT_TOTAL_BYTES = Math.min(64 * GiB, Math.max(2 * GiB, Math.floor(totalmem() / 2)));
const DEFAULT_LIMITS = { maxPickleBytes: GiB, maxTensorBytes: 4 * GiB, maxTotalBytes: DEFAULT_TOTAL_BYTES };

/** Reads a checkpoint held in memory. */
export function readCheckpoint(bytes: Uint8Array, options: ReadCheckpointOptions = {}): Checkpoint {
  return readCheckpointFrom(bufferSource(bytes), options);
}

/** Reads a checkpoint file, loading only the zip directory, data.pkl and the storages used. */
export function readCheckpointFile(path: string, options: ReadCheckpointOptions = {}): Checkpoint {
  const source = openFileSource(path);
  try {
    return readCheckpointFrom(source, { where: path, ...options });
  } finally {
    source.close();
  }
}

function readCheckpointFrom(source: ByteSource, options: ReadCheckpointOptions): Checkpoint {
  const where = options.where ?? 'checkpoint';
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const verify = options.verifyChecksums !== false;
  const head = source.read(0, Math.min(source.size, 512));
  if (!isZipSignature(head)) refuseNonZip(head, where);
  const zip = openZip(source, where);
  const layout = findLayout(zip, where);
  const read = (entry: ZipEntry): Uint8Array => zip.read(entry, { verify });
  const readText = (entry: ZipEntry): string => {
    if (entry.size > 64) throw new CheckpointFormatError(`${where}: ${entry.name} is ${entry.size} bytes; torch writes a few bytes there (corrupt file)`);
    return new TextDecoder().decode(read(entry)).trim();
  };

  const formatVersion = layout.version ? readText(layout.version) : undefined;
  let byteOrder: ByteOrder = 'little';
  if (layout.byteorder) {
    const text = readText(layout.byteorder);
    if (text !== 'little' && text !== 'big') throw new CheckpointFormatError(`${where}: ${layout.byteorder.name} says "${text.slice(0, 40)}", expected "little" or "big"`);
    byteOrder = text;
  }
  if (layout.dataPkl.size > limits.maxPickleBytes) {
    throw new CheckpointFormatError(`${where}: ${layout.dataPkl.name} is ${layout.dataPkl.size} bytes, over the ${limits.maxPickleBytes}-byte limit (maxPickleBytes)`);
  }
  const pickleWhere = `${where}: ${layout.dataPkl.name}`;
  const storages = new Map<string, StorageRef>();
  const root = unpickle(read(layout.dataPkl), {
    where: pickleWhere,
    limits,
    resolveGlobal: torchGlobalResolver(pickleWhere),
    persistentLoad: (pid) => loadStorage(pid, storages, zip, layout.prefix, pickleWhere),
  });
  const selection = selectWeights(root, { key: options.key, where, limits });

  const storageEntry = (ref: TensorRef): ZipEntry => zip.entries.get(`${layout.prefix}data/${ref.storage.key}`)!;
  const viewable = source.readsAreCopies;
  // The same view under several names (tied weights, one tensor saved under many keys) is
  // materialised once and shared, as torch.load shares it.
  const distinct = new Map<string, [string, TensorRef]>();
  for (const [name, ref] of selection.tensors) if (!distinct.has(layoutKey(ref))) distinct.set(layoutKey(ref), [name, ref]);
  checkMemoryBudget(distinct.values(), { storageEntry, viewable, byteOrder, limits, where });

  const data = new Map<string, StorageData>();
  const made = new Map<string, Tensor>();
  const tensors = new Map<string, Tensor>();
  for (const [name, ref] of selection.tensors) {
    const key = layoutKey(ref);
    let tensor = made.get(key);
    if (!tensor) {
      let storage = data.get(ref.storage.key);
      if (!storage) {
        const entry = storageEntry(ref);
        storage = new StorageData(
          entry.name,
          allocating(() => read(entry), `${where}: storage ${entry.name} (${entry.size} bytes)`),
          byteOrder,
          viewable,
        );
        data.set(ref.storage.key, storage);
      }
      const tensorWhere = `${where}: tensor "${name}"`;
      const from = storage;
      tensor = allocating(() => materializeTensor(ref, from, { maxTensorBytes: limits.maxTensorBytes, where: tensorWhere }), tensorWhere);
      made.set(key, tensor);
    }
    tensors.set(name, tensor);
  }
  return { tensors, metadata: selection.metadata, selectedKey: selection.selectedKey, archiveName: layout.prefix.slice(0, -1), formatVersion, byteOrder };
}

function layoutKey(ref: TensorRef): string {
  return `${ref.storage.key}|${ref.storageOffset}|${ref.shape.join(',')}|${ref.stride.join(',')}`;
}

/**
 * Refuses, before reading or allocating anything, a checkpoint whose tensors would need more than
 * `maxTotalBytes` together: every storage read counts once, and every tensor that cannot be a view
 * of its storage (strided, expanded with stride 0, byte-swapped) counts at its dense size. A few
 * hundred bytes of pickle can otherwise ask for many gigabytes, one name at a time.
 */
function checkMemoryBudget(
  refs: Iterable<[string, TensorRef]>,
  context: { storageEntry: (ref: TensorRef) => ZipEntry; viewable: boolean; byteOrder: ByteOrder; limits: { maxTotalBytes: number }; where: string },
): void {
  const storages = new Map<string, number>();
  let copies = 0;
  let largest: { name: string; ref: TensorRef; bytes: number } | undefined;
  for (const [name, ref] of refs) {
    storages.set(ref.storage.key, context.storageEntry(ref).size);
    if (isView(ref, { viewable: context.viewable, byteOrder: context.byteOrder })) continue;
    const bytes = layoutOf(ref).size * BYTES_PER_ELEMENT[ref.storage.dtype];
    copies += bytes;
    if (!largest || bytes > largest.bytes) largest = { name, ref, bytes };
  }
  let stored = 0;
  for (const size of storages.values()) stored += size;
  const total = stored + copies;
  if (total > context.limits.maxTotalBytes) {
    const expanded = largest
      ? `; the largest copy is tensor "${largest.name}", ${largest.ref.storage.dtype}[${largest.ref.shape.join(', ')}]: ${largest.bytes} bytes from a ${context.storageEntry(largest.ref).size}-byte storage record`
      : '';
    throw new CheckpointLimitError(
      `${context.where}: reading its tensors would take ${total} bytes (${stored} of storage records, ${copies} of dense copies of strided or expanded views)${expanded}, over the ${context.limits.maxTotalBytes}-byte budget (maxTotalBytes)`,
    );
  }
}

/** Runs `make`, turning a failed allocation (a RangeError from the engine) into a typed error. */
function allocating<T>(make: () => T, what: string): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof RangeError) throw new CheckpointLimitError(`${what}: cannot allocate memory for it (${error.message})`, { cause: error });
    throw error;
  }
}

interface Layout {
  /** "<archive>/" */
  prefix: string;
  dataPkl: ZipEntry;
  version: ZipEntry | undefined;
  byteorder: ZipEntry | undefined;
}

function findLayout(zip: ZipArchive, where: string): Layout {
  const roots = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  const prefixes = new Set([...zip.entries.keys()].map((name) => name.split('/')[0]! + '/'));
  if (roots.length === 0) {
    if ([...zip.entries.keys()].some((name) => /^[^/]+\/constants\.pkl$/.test(name))) throw torchScriptError(where);
    throw new CheckpointFormatError(`${where}: a zip archive without <archive>/data.pkl, so not a torch.save checkpoint (top-level folders: ${[...prefixes].join(', ') || 'none'})`);
  }
  if (roots.length > 1) throw new CheckpointFormatError(`${where}: several data.pkl entries (${roots.join(', ')}); a torch.save archive has one`);
  const prefix = roots[0]!.slice(0, -'data.pkl'.length);
  // torch.jit.save archives also hold data.pkl (the module's attributes) next to constants.pkl and code/.
  if (zip.entries.has(`${prefix}constants.pkl`)) throw torchScriptError(where);
  // The layout is fixed, and zip protects names with no checksum: a damaged "byteorder" name
  // would otherwise silently flip every tensor's byte order. Newer torch versions add metadata
  // under dot names (.format_version, .storage_alignment, .data/serialization_id), accepted as is.
  for (const name of zip.entries.keys()) {
    const inner = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    if (inner === undefined || !KNOWN_RECORD.test(inner)) {
      throw new CheckpointFormatError(
        `${where}: unexpected entry "${name}" in a torch.save archive (expected only ${prefix}data.pkl, ${prefix}data/<key>, ${prefix}version, ${prefix}byteorder and dot-named metadata): corrupt or not written by torch.save`,
      );
    }
  }
  return { prefix, dataPkl: zip.entries.get(roots[0]!)!, version: zip.entries.get(`${prefix}version`) ?? zip.entries.get(`${prefix}.data/version`), byteorder: zip.entries.get(`${prefix}byteorder`) };
}

const KNOWN_RECORD = /^(data\.pkl|data\/[\w.-]+|version|byteorder|\..+)$/;

function torchScriptError(where: string): TorchScriptArchiveError {
  return new TorchScriptArchiveError(
    `${where}: a TorchScript archive (torch.jit.save), which holds code as well as weights. ` +
      'Load it in Python with torch.jit.load(path) and save the weights: torch.save(module.state_dict(), "weights.pth").',
  );
}

// The pickled magic number 0x1950a86a20f9469cfc6c (LONG1 of 10 bytes) that opens every legacy
// torch.save file, after a 2-byte PROTO opcode.
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function refuseNonZip(head: Uint8Array, where: string): never {
  const resave = 'Re-save it with PyTorch >= 1.6 in a trusted Python: torch.save(torch.load(path), "new.pth"), which writes the zip format.';
  if (head[0] === 0x80 && LEGACY_MAGIC.every((byte, i) => head[i + 2] === byte)) {
    throw new LegacyCheckpointError(`${where}: a legacy (pre-1.6, non-zip) torch.save checkpoint, which torchport does not read. ${resave}`);
  }
  if (head.length >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === 'ustar') {
    throw new LegacyCheckpointError(`${where}: a tar-format torch.save checkpoint (PyTorch 0.1), which torchport does not read. ${resave}`);
  }
  if (head[0] === 0x80 && (head[1] ?? 99) <= 5) {
    throw new LegacyCheckpointError(`${where}: a bare pickle file, not a torch.save zip checkpoint; torchport never unpickles arbitrary files. ${resave}`);
  }
  const shown = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointFormatError(`${where}: not a PyTorch checkpoint (a torch.save file is a zip archive starting with "PK\\x03\\x04"; this one starts with ${shown || 'nothing: it is empty'})`);
}

/** torch.save's persistent id for a storage: ('storage', storage_type, key, location, numel); old files may spell the strings as bytes. */
function loadStorage(pid: PyValue, storages: Map<string, StorageRef>, zip: ZipArchive, prefix: string, where: string): StorageRef {
  const fail = (problem: string): never => {
    throw new CheckpointFormatError(`${where}: ${problem}`);
  };
  if (!(pid instanceof PyTuple) || pid.items.length !== 5)
    return fail(`a persistent id is a ${pythonTypeName(pid)}${pid instanceof PyTuple ? ` of ${pid.items.length}` : ''}, not a ('storage', type, key, location, numel) tuple`);
  const [typename, storageType, key, location, numel] = pid.items.map((item) => (item instanceof Uint8Array && item.length <= 64 ? String.fromCharCode(...item) : item));
  if (typename !== 'storage') fail(`unknown persistent id kind ${pythonRepr(typename!)} (torch writes only "storage")`);
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) return fail(`storage key ${pythonRepr(key!)} is not a record name`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail(`storage ${key} has a bad element count ${pythonRepr(numel!)}`);
  const kind = storageKindOf(storageType!);
  if (!kind) return fail(`storage ${key} has type ${pythonTypeName(storageType!)}, not a torch storage class`);
  if (!kind.supported) {
    throw new CheckpointDTypeError(
      `${where}: storage ${key} holds ${kind.elementType} elements, which torchport does not support (supported: float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool)`,
    );
  }
  const entry = zip.entries.get(`${prefix}data/${key}`);
  if (!entry) throw new CheckpointStorageError(`${where}: refers to storage record ${prefix}data/${key}, which the archive does not contain (truncated or corrupt file)`);
  const known = storages.get(key);
  if (known) {
    if (known.dtype !== kind.dtype) fail(`storage ${key} is used both as ${known.dtype} and ${kind.dtype}`);
    return known;
  }
  const ref = new StorageRef(key, kind.dtype, numel, typeof location === 'string' ? location : 'cpu');
  storages.set(key, ref);
  return ref;
}
