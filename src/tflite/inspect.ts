// What is inside a .tflite: operator histogram, tensors with shapes/types/quantization, buffer
// sizes, graph inputs/outputs and signatures. Plain JSON-able data, plus a text rendering.
import { readTflite, readTfliteFile, type TfliteFile } from './reader.ts';
import { modelGraphs, type Signature, type TfliteOperator } from './model.ts';
import type { TensorType } from './schema/index.ts';

export interface InspectedQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  perChannel: boolean;
}

export interface InspectedTensor {
  index: number;
  name: string;
  type: TensorType;
  shape: number[];
  shapeSignature?: number[];
  /** Buffer index (0 = none). */
  buffer: number;
  /** Bytes of constant data (0 for activations). */
  bytes: number;
  quantization?: InspectedQuantization;
}

export interface InspectedOperator {
  index: number;
  name: string;
  version: number;
  inputs: number[];
  outputs: number[];
  options?: Record<string, unknown>;
}

export interface TfliteInspection {
  fileBytes: number;
  schemaVersion: number;
  description: string;
  minRuntimeVersion?: string;
  subgraphCount: number;
  /** Operator name -> count over every subgraph (loop bodies included), most frequent first. */
  operatorHistogram: Record<string, number>;
  /** Operators in all subgraphs; `operators` below lists the main subgraph's only. */
  operatorCount: number;
  /** The subgraphs after the main one (WHILE conditions and bodies). */
  subgraphs: Array<{ index: number; name: string; operatorHistogram: Record<string, number>; operatorCount: number }>;
  operatorCodes: Array<{ name: string; builtinCode: number; deprecatedBuiltinCode: number; version: number }>;
  /** The main subgraph's operators (their tensor indices refer to `tensors`). */
  operators: InspectedOperator[];
  tensors: InspectedTensor[];
  buffers: { count: number; totalBytes: number; sizes: number[] };
  inputs: InspectedTensor[];
  outputs: InspectedTensor[];
  signatures: Signature[];
}

export function inspectTflite(bytes: Uint8Array, where = 'TFLite model'): TfliteInspection {
  return describeTflite(readTflite(bytes, where));
}

/** inspectTflite for a file on disk, read without a second copy; a file that is not a model is refused before it is read whole. */
export function inspectTfliteFile(path: string, where = path): TfliteInspection {
  return describeTflite(readTfliteFile(path, where));
}

function describeTflite(file: TfliteFile): TfliteInspection {
  const { model } = file;
  const tensors = model.tensors.map((tensor, index): InspectedTensor => {
    const q = tensor.quantization;
    return {
      index,
      name: tensor.name,
      type: tensor.type,
      shape: [...tensor.shape],
      ...(tensor.shapeSignature ? { shapeSignature: [...tensor.shapeSignature] } : {}),
      buffer: file.tensorBuffers[index]!,
      bytes: tensor.data?.byteLength ?? 0,
      ...(q ? { quantization: { scale: [...q.scale], zeroPoint: [...q.zeroPoint], quantizedDimension: q.quantizedDimension, perChannel: q.scale.length > 1 } } : {}),
    };
  });
  const operators = model.operators.map((operator, index): InspectedOperator => {
    const name = operator.op === 'OPAQUE' ? operator.name : operator.op;
    return {
      index,
      name,
      version: operator.version ?? 1,
      inputs: [...operator.inputs],
      outputs: [...operator.outputs],
      ...(operator.op !== 'OPAQUE' && operator.options ? { options: { ...operator.options } } : {}),
    };
  });
  const subgraphs = (model.subgraphs ?? []).map((graph, k) => ({ index: k + 1, name: graph.name, operatorHistogram: histogram(graph.operators), operatorCount: graph.operators.length }));
  const operatorHistogram = histogram(modelGraphs(model).flatMap((graph) => graph.operators));
  return {
    fileBytes: file.fileBytes,
    schemaVersion: file.schemaVersion,
    description: model.description,
    ...(file.minRuntimeVersion === undefined ? {} : { minRuntimeVersion: file.minRuntimeVersion }),
    subgraphCount: file.subgraphCount,
    operatorHistogram,
    operatorCount: Object.values(operatorHistogram).reduce((a, b) => a + b, 0),
    subgraphs,
    operatorCodes: file.operatorCodes.map(({ name, builtinCode, deprecatedBuiltinCode, version }) => ({ name, builtinCode, deprecatedBuiltinCode, version })),
    operators,
    tensors,
    buffers: { count: file.bufferSizes.length, totalBytes: file.bufferSizes.reduce((a, b) => a + b, 0), sizes: file.bufferSizes },
    inputs: model.inputs.map((i) => tensors[i]!),
    outputs: model.outputs.map((i) => tensors[i]!),
    signatures: file.signatures,
  };
}

function histogram(operators: readonly TfliteOperator[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const operator of operators) {
    const name = operator.op === 'OPAQUE' ? operator.name : operator.op;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

const MAX_LISTED_SCALES = 4;

function describeTensor(tensor: InspectedTensor): string {
  let text = `${tensor.type}[${tensor.shape.join(', ')}]`;
  if (tensor.shapeSignature) text += ` (signature [${tensor.shapeSignature.join(', ')}])`;
  const q = tensor.quantization;
  if (q) {
    const scales = q.scale.slice(0, MAX_LISTED_SCALES).map((s) => s.toPrecision(4));
    const more = q.scale.length > MAX_LISTED_SCALES ? `, ... ${q.scale.length} total` : '';
    text += q.perChannel ? ` q: per-channel dim ${q.quantizedDimension}, scale [${scales.join(', ')}${more}]` : ` q: scale ${scales[0]} zero point ${q.zeroPoint[0]}`;
  }
  return text;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** A human-readable report of an inspection. */
export function formatTfliteInspection(report: TfliteInspection): string {
  const lines: string[] = [];
  const constantBytes = report.tensors.reduce((sum, t) => sum + t.bytes, 0);
  lines.push(`TFLite model: ${formatBytes(report.fileBytes)}, schema v${report.schemaVersion}, ${report.subgraphCount} subgraph(s)`);
  if (report.description) lines.push(`description: ${report.description}`);
  if (report.minRuntimeVersion) lines.push(`min runtime version: ${report.minRuntimeVersion}`);
  lines.push(
    `buffers: ${report.buffers.count} (${formatBytes(report.buffers.totalBytes)}); constant tensors: ${formatBytes(constantBytes)}; structure: ${formatBytes(report.fileBytes - report.buffers.totalBytes)}`,
  );
  lines.push('');
  const where = report.subgraphs.length > 0 ? `, ${report.operators.length} in the main graph, the rest in ${report.subgraphs.length} loop subgraphs` : '';
  lines.push(`operators (${report.operatorCount}${where}):`);
  for (const [name, count] of Object.entries(report.operatorHistogram)) lines.push(`  ${String(count).padStart(5)}  ${name}`);
  for (const subgraph of report.subgraphs) {
    const ops = Object.entries(subgraph.operatorHistogram).map(([name, count]) => (count > 1 ? `${count} ${name}` : name));
    lines.push(`  subgraph ${subgraph.index} "${subgraph.name}": ${subgraph.operatorCount} operator(s): ${ops.join(', ')}`);
  }
  lines.push('');
  for (const [title, list] of [
    ['inputs', report.inputs],
    ['outputs', report.outputs],
  ] as const) {
    lines.push(`${title}:`);
    for (const tensor of list) lines.push(`  #${tensor.index} ${tensor.name}: ${describeTensor(tensor)}`);
  }
  for (const signature of report.signatures) {
    lines.push(`signature "${signature.key}": (${signature.inputs.map((e) => `${e.name}=#${e.tensor}`).join(', ')}) -> (${signature.outputs.map((e) => `${e.name}=#${e.tensor}`).join(', ')})`);
  }
  lines.push('');
  lines.push(`tensors (${report.tensors.length}):`);
  for (const tensor of report.tensors) {
    const storage = tensor.bytes > 0 ? ` buffer ${tensor.buffer} (${formatBytes(tensor.bytes)})` : '';
    lines.push(`  #${tensor.index} ${tensor.name}: ${describeTensor(tensor)}${storage}`);
  }
  return lines.join('\n');
}
