// The in-memory TFLite model torchport builds and reads: the main subgraph of tensors and
// operators in execution order, plus the subgraphs a WHILE operator runs (its condition and its
// body). Lowering a Keras layer means appending tensors and operators here; the writer turns this
// into the flatbuffer, the reader turns a flatbuffer back into this.
import { TorchportError } from '../errors.ts';
import { toLittleEndianBytes, type Tensor } from '../tensor/index.ts';
import { TENSOR_TYPE_BYTES, type OperatorName, type OptionsForOperator, type TensorType } from './schema/index.ts';

/** A model that breaks the rules of the format (bad index, wrong data size, cycle...). */
export class TfliteModelError extends TorchportError {
  readonly code = 'E_TFLITE_MODEL';
}

/**
 * Affine quantization: real = scale * (q - zeroPoint). One entry per tensor, or one per slice
 * along `quantizedDimension` (per-channel).
 */
export interface Quantization {
  scale: readonly number[];
  zeroPoint: readonly number[];
  /** Axis the per-channel scales run along; 0 when per-tensor. */
  quantizedDimension: number;
  /** Observed float range, informational only (converters record it; runtimes ignore it). */
  min?: readonly number[];
  max?: readonly number[];
}

export interface TfliteTensor {
  name: string;
  type: TensorType;
  shape: readonly number[];
  /** Shape with -1 for dimensions unknown until run time; absent when fully static. */
  shapeSignature?: readonly number[];
  /** Constant content: little-endian bytes in C order. Absent for activations and graph inputs. */
  data?: Uint8Array;
  quantization?: Quantization;
  /**
   * A state tensor an operator reads and overwrites (`Tensor.is_variable`): the LSTM's output
   * and cell state. No data; the runtime allocates it zeroed.
   */
  isVariable?: boolean;
}

/** An operator torchport knows, with typed options. */
export type KnownOperator = {
  [Op in OperatorName]: {
    op: Op;
    /** Tensor indices; -1 marks an omitted optional input (e.g. no bias). */
    inputs: readonly number[];
    outputs: readonly number[];
    options?: OptionsForOperator<Op>;
    /** Operator version; computed from the tensor types when absent (see ./versions.ts). */
    version?: number;
  };
}[OperatorName];

/** An operator read from a file that torchport has no options table for (kept to be inspected). */
export interface OpaqueOperator {
  op: 'OPAQUE';
  /** Builtin operator name (or `CUSTOM`). */
  name: string;
  builtinCode: number;
  customCode?: string;
  inputs: readonly number[];
  outputs: readonly number[];
  version: number;
  /** The file gave options we did not decode; such an operator cannot be written back. */
  hasUndecodedOptions: boolean;
}

export type TfliteOperator = KnownOperator | OpaqueOperator;

export interface SignatureTensor {
  name: string;
  tensor: number;
}

export interface Signature {
  key: string;
  inputs: SignatureTensor[];
  outputs: SignatureTensor[];
}

/** One subgraph: tensors (indices are local to it), operators in execution order, its inputs and outputs. */
export interface TfliteGraph {
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
}

/** A subgraph other than the main one: a WHILE's condition or body. */
export interface TfliteSubgraph extends TfliteGraph {
  name: string;
}

/** The main subgraph (index 0 in the file) and the model-level facts. */
export interface TfliteModel extends TfliteGraph {
  description: string;
  /** Defaults to `serving_default` over the graph inputs and outputs, named after their tensors. */
  signature?: Signature;
  /** Subgraphs 1, 2, ... of the file, in order: what WHILE operators name in their options. */
  subgraphs?: TfliteSubgraph[];
}

export const DEFAULT_SIGNATURE_KEY = 'serving_default';

/** Every subgraph of the model in file order: the main graph (0), then the loop subgraphs. */
export function modelGraphs(model: TfliteModel): TfliteGraph[] {
  return [model, ...(model.subgraphs ?? [])];
}

export function defaultSignature(model: Pick<TfliteModel, 'tensors' | 'inputs' | 'outputs'>): Signature {
  return {
    key: DEFAULT_SIGNATURE_KEY,
    inputs: model.inputs.map((tensor) => ({ name: model.tensors[tensor]?.name ?? `input_${tensor}`, tensor })),
    outputs: model.outputs.map((tensor) => ({ name: model.tensors[tensor]?.name ?? `output_${tensor}`, tensor })),
  };
}

/**
 * Builds a model step by step: tensors get indices as they are added, operators are appended
 * in execution order.
 */
export class TfliteGraphBuilder {
  private readonly tensors: TfliteTensor[] = [];
  private readonly operators: TfliteOperator[] = [];
  private readonly inputs: number[] = [];
  private readonly outputs: number[] = [];

  addTensor(tensor: TfliteTensor): number {
    this.tensors.push(tensor);
    return this.tensors.length - 1;
  }

  /** An activation tensor (no data): an operator's output. */
  activation(name: string, type: TensorType, shape: readonly number[], quantization?: Quantization): number {
    return this.addTensor(quantization ? { name, type, shape, quantization } : { name, type, shape });
  }

  /** A variable (state) tensor: zero-initialised by the runtime, read and written by one operator. */
  variable(name: string, type: TensorType, shape: readonly number[]): number {
    return this.addTensor({ name, type, shape, isVariable: true });
  }

  /** A graph input. */
  input(name: string, type: TensorType, shape: readonly number[], quantization?: Quantization): number {
    const index = this.activation(name, type, shape, quantization);
    this.inputs.push(index);
    return index;
  }

  /** A constant tensor from a torchport Tensor (same dtype; float16 stays float16 bits). */
  constant(name: string, value: Tensor, quantization?: Quantization): number {
    const type = value.dtype as TensorType;
    if (!(type in TENSOR_TYPE_BYTES)) throw new TfliteModelError(`constant "${name}": dtype ${value.dtype} has no TFLite tensor type`);
    const data = littleEndianBytes(value);
    return this.addTensor(quantization ? { name, type, shape: value.shape, data, quantization } : { name, type, shape: value.shape, data });
  }

  /** A constant int32 vector (shapes, axes, paddings). */
  int32Constant(name: string, values: readonly number[], shape: readonly number[] = [values.length]): number {
    const data = new Uint8Array(Int32Array.from(values).buffer);
    return this.addTensor({ name, type: 'int32', shape, data });
  }

  op<Op extends OperatorName>(op: Op, inputs: readonly number[], outputs: readonly number[], options?: OptionsForOperator<Op>): void {
    this.operators.push({ op, inputs, outputs, ...(options === undefined ? {} : { options }) } as KnownOperator);
  }

  output(...tensors: number[]): void {
    this.outputs.push(...tensors);
  }

  build(description = 'torchport'): TfliteModel {
    return { description, ...this.graph() };
  }

  /** The graph as a subgraph other than the main one (a WHILE's condition or body). */
  buildSubgraph(name: string): TfliteSubgraph {
    return { name, ...this.graph() };
  }

  private graph(): TfliteGraph {
    return { tensors: [...this.tensors], operators: [...this.operators], inputs: [...this.inputs], outputs: [...this.outputs] };
  }
}

/**
 * Checks the rules a runtime relies on and lists every violation at once: indices in range,
 * constant sizes matching shape x type, quantization parameters of consistent length,
 * operators in an order where every input exists before it is read, each tensor produced once.
 */
export function validateModel(model: TfliteModel): void {
  const problems: string[] = [];
  const graphs = modelGraphs(model);
  graphs.forEach((graph, index) => validateGraph(graph, index === 0 ? '' : `subgraph ${index} "${(graph as TfliteSubgraph).name}": `, graphs, problems));
  if (model.signature) {
    for (const entry of [...model.signature.inputs, ...model.signature.outputs]) {
      if (!Number.isInteger(entry.tensor) || entry.tensor < 0 || entry.tensor >= model.tensors.length)
        problems.push(`signature entry "${entry.name}" points at tensor ${entry.tensor}, which does not exist`);
    }
  }
  if (problems.length > 0) throw new TfliteModelError(`invalid TFLite model (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
}

function validateGraph(model: TfliteGraph, where: string, graphs: readonly TfliteGraph[], found: string[]): void {
  const problems = { push: (problem: string) => found.push(`${where}${problem}`) };
  const count = model.tensors.length;
  const tensorName = (i: number) => `tensor ${i} "${model.tensors[i]?.name ?? '?'}"`;
  model.tensors.forEach((tensor, i) => {
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0 && d <= 0x7fffffff)) problems.push(`${tensorName(i)} has an invalid shape [${tensor.shape.join(', ')}]`);
    if (tensor.shapeSignature && (tensor.shapeSignature.length !== tensor.shape.length || !tensor.shapeSignature.every((d, k) => d === -1 || d === tensor.shape[k]))) {
      problems.push(`${tensorName(i)}: shape signature [${tensor.shapeSignature.join(', ')}] does not match shape [${tensor.shape.join(', ')}]`);
    }
    if (tensor.data) {
      const width = TENSOR_TYPE_BYTES[tensor.type];
      const elements = tensor.shape.reduce((a, b) => a * b, 1);
      if (width === undefined) problems.push(`${tensorName(i)}: constants of type ${tensor.type} are not supported`);
      else if (tensor.data.byteLength !== elements * width) {
        problems.push(`${tensorName(i)} is ${tensor.type}[${tensor.shape.join(', ')}] (${elements * width} bytes) but holds ${tensor.data.byteLength} bytes`);
      }
    }
    if (tensor.isVariable && tensor.data) problems.push(`${tensorName(i)} is a variable tensor with constant data`);
    const q = tensor.quantization;
    if (q) {
      if (q.scale.length === 0 || q.scale.length !== q.zeroPoint.length)
        problems.push(`${tensorName(i)}: quantization needs as many zero points as scales (got ${q.scale.length} scales, ${q.zeroPoint.length} zero points)`);
      if (!q.scale.every((s) => Number.isFinite(s) && s > 0)) problems.push(`${tensorName(i)}: quantization scales must be finite and positive`);
      if (!q.zeroPoint.every((z) => Number.isSafeInteger(z))) problems.push(`${tensorName(i)}: zero points must be integers`);
      if (q.scale.length > 1) {
        const axisSize = tensor.shape[q.quantizedDimension];
        if (axisSize === undefined) problems.push(`${tensorName(i)}: quantized dimension ${q.quantizedDimension} is outside its rank ${tensor.shape.length}`);
        else if (axisSize !== q.scale.length) problems.push(`${tensorName(i)}: ${q.scale.length} per-channel scales but dimension ${q.quantizedDimension} has size ${axisSize}`);
      }
    }
  });

  const available = new Set<number>();
  // Constants and variable (state) tensors exist before any operator runs.
  model.tensors.forEach((tensor, i) => (tensor.data || tensor.isVariable) && available.add(i));
  for (const input of model.inputs) {
    if (!Number.isInteger(input) || input < 0 || input >= count) problems.push(`graph input ${input} is not a tensor index (0..${count - 1})`);
    else if (model.tensors[input]!.data) problems.push(`graph input ${tensorName(input)} is a constant`);
    else if (model.tensors[input]!.isVariable) problems.push(`graph input ${tensorName(input)} is a variable tensor`);
    else available.add(input);
  }
  const producer = new Map<number, number>();
  model.operators.forEach((operator, k) => {
    const label = `operator ${k} (${operator.op === 'OPAQUE' ? operator.name : operator.op})`;
    if (operator.op === 'WHILE') checkWhile(operator.inputs.length, operator.outputs.length, operator.options, graphs, (problem) => problems.push(`${label}: ${problem}`));
    for (const input of operator.inputs) {
      if (input === -1) continue;
      if (!Number.isInteger(input) || input < 0 || input >= count) problems.push(`${label} reads tensor ${input}, which does not exist`);
      else if (!available.has(input)) problems.push(`${label} reads ${tensorName(input)} before any operator produces it`);
    }
    for (const output of operator.outputs) {
      if (!Number.isInteger(output) || output < 0 || output >= count) problems.push(`${label} writes tensor ${output}, which does not exist`);
      else if (model.tensors[output]!.data) problems.push(`${label} writes constant ${tensorName(output)}`);
      else if (model.tensors[output]!.isVariable) problems.push(`${label} lists variable ${tensorName(output)} as an output (variables are inputs the operator updates)`);
      else if (producer.has(output) || model.inputs.includes(output)) problems.push(`${label} writes ${tensorName(output)}, already produced elsewhere`);
      else {
        producer.set(output, k);
        available.add(output);
      }
    }
  });
  for (const output of model.outputs) {
    if (!Number.isInteger(output) || output < 0 || output >= count) problems.push(`graph output ${output} is not a tensor index`);
    else if (!available.has(output)) problems.push(`graph output ${tensorName(output)} is never produced`);
  }
}

/**
 * WHILE runs subgraph `condSubgraphIndex` on its loop values to get one bool, and while it is true
 * runs `bodySubgraphIndex`, whose outputs become the next loop values: both take exactly the
 * operator's inputs, and the body gives back as many values as it took.
 */
function checkWhile(
  inputCount: number,
  outputCount: number,
  options: { condSubgraphIndex?: number; bodySubgraphIndex?: number } | undefined,
  graphs: readonly TfliteGraph[],
  problem: (text: string) => void,
): void {
  if (outputCount !== inputCount) problem(`has ${inputCount} loop inputs but ${outputCount} outputs`);
  const subgraph = (role: string, index: number | undefined): TfliteGraph | undefined => {
    if (index === undefined || !Number.isInteger(index) || index < 1 || index >= graphs.length) {
      problem(`${role} subgraph ${String(index)} does not exist (subgraphs 1..${graphs.length - 1})`);
      return undefined;
    }
    return graphs[index];
  };
  const cond = subgraph('condition', options?.condSubgraphIndex);
  const body = subgraph('body', options?.bodySubgraphIndex);
  if (cond && cond.inputs.length !== inputCount) problem(`its condition subgraph takes ${cond.inputs.length} inputs, the loop has ${inputCount}`);
  if (cond && cond.outputs.length !== 1) problem(`its condition subgraph must give one bool, it gives ${cond.outputs.length} outputs`);
  if (body && (body.inputs.length !== inputCount || body.outputs.length !== inputCount))
    problem(`its body subgraph takes ${body.inputs.length} and gives ${body.outputs.length} values, the loop carries ${inputCount}`);
}

/** A tensor's elements as little-endian bytes (TFLite buffers are little-endian), copied so the model does not alias the caller's tensor. */
export function littleEndianBytes(value: Tensor): Uint8Array {
  return toLittleEndianBytes(value.data).slice();
}
