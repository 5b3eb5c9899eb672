// buildKerasModel: a captured PyTorch graph -> a channels-last tfjs layers model whose layer
// names are the PyTorch module paths, filled by the name-based weight transfer.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import type { CapturedGraph, GraphNode } from '../../torch/index.ts';
import { transferWeights, type TransferReport } from '../transfer/index.ts';
import { BuildContext, type BuildTensors, type InsertedPermute, type KValue } from './context.ts';
import { KerasBuildError, UnsupportedOpsError, type UnsupportedOp } from './errors.ts';
import { channelsLastPerm, identityPerm, inversePerm, kerasShapeOf, type Layout } from './layout.ts';
import { OpNode, Unsupported } from './op_node.ts';
import { findOp } from './registry.ts';
import { outputOfRecordedKind } from './ops/casts.ts';

export interface BuildOptions {
  /** The Keras model's name (default "torchport"). */
  readonly name?: string;
  /**
   * Per graph input (input_0, ...): the permutation from PyTorch's layout to the Keras input's.
   * Default: channels-last for rank 4 and 5; for rank 3 channels-last when a 1-D conv, norm or
   * pool reads the input directly, batch first ([1, 0, 2]) when only sequence-first LSTM / GRU
   * modules read it, else PyTorch's order.
   */
  readonly inputLayouts?: Readonly<Record<string, readonly number[]>>;
}

/** A model input or output: how PyTorch's tensor maps onto the Keras one. */
export interface IORecord {
  readonly name: string;
  readonly torchShape: readonly number[];
  readonly kerasShape: readonly number[];
  /** keras = torch.permute(toKeras). */
  readonly toKeras: readonly number[];
  /** torch = keras.permute(toTorch). */
  readonly toTorch: readonly number[];
}

export interface BuildReport {
  readonly layerCount: number;
  readonly parameterCount: number;
  readonly permuteCount: number;
  readonly permutes: readonly InsertedPermute[];
  /** Graph node name -> the Keras layer holding its (first) output; no-op nodes map to their input's layer. */
  readonly nodeLayers: Readonly<Record<string, string>>;
  /**
   * Graph value id -> the Keras layer whose output holds it (`call`: which call of a shared
   * layer, for layer.getOutputAt), and in which layout: the golden's activations compare with
   * that output permuted back by the inverse of layout.perm (flattened layouts excepted).
   */
  readonly valueLayers: Readonly<Record<string, ValueLocation>>;
  readonly inputs: readonly IORecord[];
  readonly outputs: readonly IORecord[];
  readonly transfer: TransferReport;
  /**
   * State-dict tensors the captured forward never read: modules it did not call, parameters it
   * only used in computations that do not depend on the inputs (folded into graph constants).
   */
  readonly unusedTensors: readonly string[];
  readonly buildMs: number;
}

export interface ValueLocation {
  readonly layer: string;
  readonly call: number;
  readonly layout: Layout;
}

export interface BuiltKerasModel {
  readonly model: tf.LayersModel;
  readonly report: BuildReport;
}

const CHANNEL_CONSUMERS = new Set(['Conv1d', 'ConvTranspose1d', 'torch.conv_transpose1d', 'BatchNorm1d', 'MaxPool1d', 'AvgPool1d', 'LPPool1d', 'AdaptiveAvgPool1d']);

export function buildKerasModel(graph: CapturedGraph, tensors: BuildTensors, options: BuildOptions = {}): BuiltKerasModel {
  const started = performance.now();
  const nodes = graph.nodes.map((node) => new OpNode(node, graph));
  checkSupported(graph, nodes);

  const ctx = new BuildContext(graph, tensors);
  const inputs: tf.SymbolicTensor[] = [];
  const inputRecords: IORecord[] = [];
  for (const [i, input] of graph.inputs.entries()) {
    const torchShape = graph.values[input.value]!.shape;
    const perm = options.inputLayouts?.[input.name] ?? defaultInputPerm(graph, input.value, torchShape.length);
    const kerasShape = kerasShapeOf(torchShape, perm);
    if (i === 0) ctx.batchSize = kerasShape[0];
    // An input whose Keras batch differs from the first input's ([3, 1] beside [2, 1, 4], [3, 4] @
    // [4, 5]) keeps its size static: the TFLite lowering resolves open batch axes to the first input's
    // Keras batch size, and ops on such inputs (matmul, broadcasting) lift them into one sample by
    // their static shape.
    const name = ctx.layerName(input.name);
    const shapeArgs = torchShape.length > 0 && kerasShape[0] !== ctx.batchSize ? { batchShape: kerasShape } : { shape: kerasShape.slice(1) };
    const tensor = tf.input({ ...shapeArgs, name, dtype: 'float32' });
    inputs.push(tensor);
    ctx.values.set(input.value, { tensor, layout: { perm }, torchShape, layer: tensor.sourceLayer.name, call: 0 });
    inputRecords.push(ioRecord(input.name, torchShape, perm));
  }

  const failed: UnsupportedOp[] = [];
  const skipped = new Set<string>();
  for (const node of nodes) {
    const reads = valuesRead(node.node.args).concat(valuesRead(Object.values(node.node.kwargs)));
    if (reads.some((value) => skipped.has(value))) {
      node.node.outputs.forEach((value) => skipped.add(value));
      continue;
    }
    let outputs: readonly KValue[];
    try {
      checkBatchAxis(node, ctx, reads);
      outputs = findOp(node.op)!.convert(node, ctx);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      failed.push(unsupported(node, error.message));
      node.node.outputs.forEach((value) => skipped.add(value));
      continue;
    }
    if (outputs.length !== node.node.outputs.length) throw new KerasBuildError(`${node.where}: built ${outputs.length} output(s) for ${node.node.outputs.length} recorded`);
    outputs.forEach((value, i) => ctx.values.set(node.node.outputs[i]!, value));
    if (outputs[0]) ctx.nodeLayers[node.name] = outputs[0].layer;
  }
  if (failed.length > 0) throw new UnsupportedOpsError(failed);

  const outputRecords: IORecord[] = [];
  const outputs = graph.outputs.map((output) => {
    const value = ctx.values.get(output.value);
    if (!value) throw new KerasBuildError(`graph output ${output.name} (value ${output.value}) was not built`);
    const outputNode = new OpNode({ name: output.name, kind: 'function', op: 'output', scope: '', args: [], kwargs: {}, outputs: [], structure: null }, graph);
    const plain = outputOfRecordedKind(outputNode, ctx, ctx.plain(value, outputNode), graph.values[output.value]?.dtype ?? 'float32');
    outputRecords.push(ioRecord(output.name, plain.torchShape, plain.layout.perm));
    return plain.tensor;
  });
  const model = tf.model({ inputs, outputs, name: options.name ?? 'torchport' });

  // The transfer is strict about what the graph reads; tensors it never reads are reported instead.
  const read = tensorsRead(graph);
  const stateDict = new Map<string, Tensor>([...[...tensors.weights].filter(([name]) => read.has(name) && !ctx.consumed.has(name)), ...ctx.extraTensors]);
  const unusedTensors = [...tensors.weights.keys()].filter((name) => !read.has(name));
  const transfer = transferWeights(stateDict, model, { strict: true, overrides: ctx.overrides, torchEpsilon: ctx.epsilons, moduleNames: ctx.moduleNames });

  const valueLayers: Record<string, ValueLocation> = {};
  for (const [id, value] of ctx.values) valueLayers[id] = { layer: value.layer, call: value.call, layout: value.layout };
  return {
    model,
    report: {
      layerCount: model.layers.length,
      parameterCount: model.countParams(),
      permuteCount: ctx.permutes.length,
      permutes: ctx.permutes,
      nodeLayers: ctx.nodeLayers,
      valueLayers,
      inputs: inputRecords,
      outputs: outputRecords,
      transfer,
      unusedTensors,
      buildMs: performance.now() - started,
    },
  };
}

/**
 * Ops that accept values whose Keras axis 0 is not PyTorch axis 0 (after x.transpose(0, 1) of a
 * sequence-first model, a recurrent layer's h_n, timm's qkv.permute(2, 0, 3, 1, 4)): layout-only
 * ops, indexing, squeezing and splitting, and nn.MultiheadAttention(batch_first=False). Every other
 * op assumes Keras axis 0 holds PyTorch axis 0, so the values it reads are moved back first.
 */
const BATCH_MOVED_OPS = new Set([
  'Tensor.transpose',
  'torch.transpose',
  'Tensor.permute',
  'torch.permute',
  'MultiheadAttention',
  'Tensor.contiguous',
  'Dropout',
  'Identity',
  'F.dropout',
  // Indexing, squeezing and splitting away other axes (h_n[-1], h_n.squeeze(0), qkv.unbind(0)): ./ops/shape.ts.
  'Tensor.__getitem__',
  'Tensor.squeeze',
  'torch.squeeze',
  'torch.unbind',
  'Tensor.unbind',
  'torch.split',
  'Tensor.split',
  'torch.chunk',
  'Tensor.chunk',
  'Tensor.t',
  'torch.t',
  'torch.movedim',
  'Tensor.movedim',
  'torch.moveaxis',
  'Tensor.moveaxis',
  'Tensor.swapaxes',
  'torch.swapaxes',
  'Tensor.swapdims',
  'torch.swapdims',
  // batch_first=False reads (steps, batch, features); ./ops/recurrent.ts checks where the batch is.
  'LSTM',
  'GRU',
  'RNN',
]);

/** Values read by `node` whose Keras axis 0 holds another PyTorch axis are re-laid out with PyTorch axis 0 there. */
function checkBatchAxis(node: OpNode, ctx: BuildContext, reads: readonly string[]): void {
  if (BATCH_MOVED_OPS.has(node.op)) return;
  for (const id of reads) {
    const value = ctx.values.get(id);
    // A 0-d value (x.sum(), a trace) has no axis 0 to move.
    if (!value || value.torchShape.length === 0 || value.layout.perm[0] === 0) continue;
    const perm = [0, ...value.layout.perm.filter((axis) => axis !== 0)];
    ctx.values.set(id, ctx.relayout(value, perm, node, `${node.op} needs PyTorch axis 0 on Keras axis 0`));
  }
}

/** Every node's op must be in the table and pass its check; all failures are reported at once. */
function checkSupported(graph: CapturedGraph, nodes: readonly OpNode[]): void {
  const shapes = (value: string) => graph.values[value]?.shape;
  const failed: UnsupportedOp[] = [];
  for (const node of nodes) {
    const entry = findOp(node.op);
    if (!entry) {
      failed.push(unsupported(node, `no Keras conversion is known for ${node.node.kind === 'module' ? 'module class' : 'function'} ${node.op}`));
      continue;
    }
    try {
      const reason = entry.check?.(node, shapes);
      if (reason) failed.push(unsupported(node, reason));
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      failed.push(unsupported(node, error.message));
    }
  }
  if (failed.length > 0) throw new UnsupportedOpsError(failed);
}

function unsupported(node: OpNode, reason: string): UnsupportedOp {
  return { node: node.name, op: node.op, kind: node.node.kind, modulePath: node.node.module ?? node.node.scope, reason };
}

function valuesRead(args: readonly unknown[]): string[] {
  const found: string[] = [];
  const visit = (arg: unknown): void => {
    if (typeof arg !== 'object' || arg === null) return;
    const record = arg as Record<string, unknown>;
    if (typeof record['value'] === 'string') found.push(record['value']);
    for (const key of ['list', 'slice'] as const) if (Array.isArray(record[key])) (record[key] as unknown[]).forEach(visit);
    if (typeof record['dict'] === 'object' && record['dict'] !== null) Object.values(record['dict']).forEach(visit);
  };
  args.forEach(visit);
  return found;
}

/** State-dict names the graph reads: the tensors of every called module, and direct parameter uses. */
function tensorsRead(graph: CapturedGraph): Set<string> {
  const read = new Set<string>();
  const visit = (arg: unknown): void => {
    if (typeof arg !== 'object' || arg === null) return;
    const record = arg as Record<string, unknown>;
    if (typeof record['param'] === 'string') read.add(record['param']);
    for (const key of ['list', 'slice'] as const) if (Array.isArray(record[key])) (record[key] as unknown[]).forEach(visit);
    if (typeof record['dict'] === 'object' && record['dict'] !== null) Object.values(record['dict']).forEach(visit);
  };
  for (const node of graph.nodes) {
    node.args.forEach(visit);
    Object.values(node.kwargs).forEach(visit);
    if (node.kind !== 'module' || node.module === undefined) continue;
    // A leaf module reads its own tensors and those of its submodules (MultiheadAttention's out_proj).
    const prefix = node.module === '' ? '' : `${node.module}.`;
    for (const [path, info] of Object.entries(graph.modules)) {
      if (path !== node.module && !(prefix === '' || path.startsWith(prefix))) continue;
      for (const name of [...info.parameters, ...info.buffers]) read.add(path ? `${path}.${name}` : name);
    }
  }
  return read;
}

function defaultInputPerm(graph: CapturedGraph, value: string, rank: number): number[] {
  if (rank >= 4) return channelsLastPerm(rank);
  if (rank !== 3) return identityPerm(rank);
  const readers = graph.nodes.filter((node) => valuesRead(node.args).includes(value));
  if (readers.some((node) => CHANNEL_CONSUMERS.has(node.op))) return channelsLastPerm(3);
  // A sequence-first (steps, batch, features) input of nn.LSTM / nn.GRU / nn.RNN(batch_first=False) is held batch first.
  const sequenceFirst = (node: GraphNode) => ['LSTM', 'GRU', 'RNN'].includes(node.op) && graph.modules[node.module ?? '']?.attributes['batch_first'] === false;
  return readers.length > 0 && readers.every(sequenceFirst) ? [1, 0, 2] : identityPerm(3);
}

function ioRecord(name: string, torchShape: readonly number[], perm: readonly number[]): IORecord {
  return { name, torchShape: [...torchShape], kerasShape: torchShape.length === 0 ? [1] : kerasShapeOf(torchShape, perm), toKeras: [...perm], toTorch: inversePerm(perm) };
}
