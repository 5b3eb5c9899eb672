// `torchport inspect <file>`: every tensor of a weights file with its name, dtype, shape, byte
// size and the SHA-256 of its contiguous little-endian bytes in C order. The file kind is
// recognised from its first bytes (then its extension); each kind is one entry of INSPECTORS,
// so supporting another format (.tflite) is one more entry.
import type { Command } from 'commander';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { InputFileError } from '../../errors.ts';
import type { Tensor } from '../../tensor/index.ts';
import { readCheckpointFile, readSafetensorsFile, type MetadataValue } from '../../torch/index.ts';
import { jsonPreview, sha256Chunked } from '../../util/index.ts';
import { print, type CliContext } from '../context.ts';

export interface InspectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  sha256: string;
}

export interface InspectReport {
  file: string;
  /** Which inspector read the file ("pytorch", "safetensors", ...). */
  format: string;
  tensors: InspectedTensor[];
  /** Non-tensor content worth showing (checkpoint metadata, safetensors __metadata__). */
  metadata: Record<string, MetadataValue>;
  /** For checkpoints: the entry the weights came from (null: the root). */
  selectedKey?: string | null;
}

export interface InspectOptions {
  key?: string | undefined;
}

export interface FileInspector {
  format: string;
  description: string;
  /** True when the first bytes (up to 512) or the extension say the file is this kind. */
  recognizes(head: Uint8Array, extension: string): boolean;
  inspect(path: string, options: InspectOptions): InspectReport;
}

const pytorchInspector: FileInspector = {
  format: 'pytorch',
  description: 'PyTorch checkpoint (torch.save, .pt/.pth)',
  recognizes: (head, extension) => (head[0] === 0x50 && head[1] === 0x4b) || head[0] === 0x80 || ['.pt', '.pth', '.ckpt', '.bin', '.tar'].includes(extension),
  inspect(path, options) {
    const checkpoint = readCheckpointFile(path, { key: options.key });
    return { file: path, format: this.format, tensors: describeTensors(checkpoint.tensors), metadata: checkpoint.metadata, selectedKey: checkpoint.selectedKey };
  },
};

const safetensorsInspector: FileInspector = {
  format: 'safetensors',
  description: 'safetensors (.safetensors)',
  // An 8-byte little-endian header length, then a JSON object.
  recognizes: (head, extension) => extension === '.safetensors' || (head.length > 8 && head[8] === 0x7b && head[6] === 0 && head[7] === 0),
  inspect(path) {
    const file = readSafetensorsFile(path);
    return { file: path, format: this.format, tensors: describeTensors(file.tensors), metadata: { ...file.metadata } };
  },
};

/** Tried in order; the first that recognizes the file reads it. */
const INSPECTORS: readonly FileInspector[] = [pytorchInspector, safetensorsInspector];

export function inspectFile(path: string, options: InspectOptions = {}): InspectReport {
  const head = readHead(path);
  const extension = extname(path).toLowerCase();
  const inspector = INSPECTORS.find((candidate) => candidate.recognizes(head, extension));
  if (!inspector) {
    throw new InputFileError(path, `unrecognised file kind; inspect reads: TFLite model (.tflite), ${INSPECTORS.map((i) => i.description).join(', ')}`);
  }
  return inspector.inspect(path, options);
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description(
      'List every tensor of a weights file (name, dtype, shape, bytes, SHA-256 of its C-order little-endian bytes), or describe a .tflite model (op histogram, tensors with quantization, buffers, inputs/outputs, signature).',
    )
    .argument('<file>', `a .tflite model or a weights file: ${INSPECTORS.map((i) => i.description).join(', ')}`)
    .option('--json', 'print a JSON report (tensors with fields name, dtype, shape, bytes, sha256)')
    .option('--key <key>', 'checkpoint entry holding the weights ("state_dict", "model/ema", "." for all); default: see the selection rule')
    .action(async (file: string, flags: { json?: boolean; key?: string }) => {
      const path = resolve(ctx.cwd, file);
      if (isTflite(readHead(path), extname(path).toLowerCase())) {
        // A model, not a weights file: its own report (ops, tensors with quantization, buffers, signature).
        const { formatTfliteInspection, inspectTfliteFile } = await import('../../tflite/index.ts');
        const inspection = inspectTfliteFile(path, file);
        print(ctx, flags.json ? JSON.stringify(inspection, null, 2) : formatTfliteInspection(inspection));
        return;
      }
      const report = inspectFile(path, { key: flags.key });
      report.file = file;
      print(ctx, flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });
}

/** TFLite flatbuffers carry the identifier "TFL3" at bytes 4..8. */
function isTflite(head: Uint8Array, extension: string): boolean {
  return extension === '.tflite' || (head.length >= 8 && String.fromCharCode(...head.subarray(4, 8)) === 'TFL3');
}

function formatReport(report: InspectReport): string {
  const total = report.tensors.reduce((sum, t) => sum + t.bytes, 0);
  const source = report.selectedKey === undefined ? '' : report.selectedKey === null ? ', weights at the root' : `, weights from "${report.selectedKey}"`;
  const lines = [`${report.file}: ${report.format}${source}, ${report.tensors.length} tensors, ${total} bytes`];
  const rows = report.tensors.map((t) => [t.name === '' ? '<root>' : t.name, t.dtype, `[${t.shape.join(', ')}]`, String(t.bytes), t.sha256]);
  const header = ['name', 'dtype', 'shape', 'bytes', 'sha256'];
  // A loop, not Math.max(...rows): spreading 100k+ rows into one call overflows the stack.
  const widths = header.map((h) => h.length);
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, cell.length)));
  for (const row of [header, ...rows])
    lines.push(
      row
        .map((cell, i) => (i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  const metadata = Object.entries(report.metadata);
  if (metadata.length > 0) {
    lines.push('metadata:');
    for (const [key, value] of metadata) lines.push(`  ${key}: ${jsonPreview(value, 200)}`);
  }
  return lines.join('\n');
}

function describeTensors(tensors: ReadonlyMap<string, Tensor>): InspectedTensor[] {
  // A tensor shared by several names (tied weights) is hashed once.
  const hashes = new Map<Tensor, string>();
  const hashOf = (tensor: Tensor): string => {
    let hash = hashes.get(tensor);
    if (hash === undefined) hashes.set(tensor, (hash = sha256Chunked(littleEndianBytes(tensor))));
    return hash;
  };
  return [...tensors].map(([name, tensor]) => ({ name, dtype: tensor.dtype, shape: [...tensor.shape], bytes: tensor.byteLength, sha256: hashOf(tensor) }));
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(tensor: Tensor): Uint8Array {
  const { data } = tensor;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = bytes.slice();
  const width = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  return copy;
}

function readHead(path: string): Uint8Array {
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw new InputFileError(path, 'is not a regular file');
    fd = openSync(path, 'r');
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(path, `cannot be opened (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  try {
    const head = new Uint8Array(512);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
