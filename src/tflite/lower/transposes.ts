// Graph passes that remove TRANSPOSE operators without changing a single computed number: they move
// where data is rearranged (or let a matrix product read its operand transposed), never the
// arithmetic. Run by ./passes.ts with the others, to a fixed point.
// - compose: TRANSPOSE(TRANSPOSE(x, p), q) is TRANSPOSE(x, p o q); the identity is no operator.
// - fold into BATCH_MATMUL: a TRANSPOSE that only swaps the last two axes, read only as operands of
//   BATCH_MATMUL, is dropped: each product reads the untransposed value with adj_x / adj_y toggled.
// - hoist above slices: several slices of one value, each transposed by the same permutation
//   (attention's head split: q, k and v sliced from one [B, N, H, D] projection, each permuted to
//   [B, H, N, D]), become one TRANSPOSE of the value and the same slices in its coordinates. A
//   TRANSPOSE read only by BATCH_MATMUL may swap its last two axes to join the group (k permuted
//   to [B, H, D, N] joins as [B, H, N, D] read with adj_y).
import { Tensor } from '../../tensor/index.ts';
import type { IrGraph, IrOp } from '../ir/index.ts';

export interface TransposeRewrite {
  readonly kind: 'compose-transpose' | 'fold-transpose' | 'hoist-transpose';
  readonly layer: string;
  readonly into: string;
}

/** The permutation of a TRANSPOSE with a constant one, else undefined. */
function permOf(graph: IrGraph, op: IrOp): number[] | undefined {
  if (op.op !== 'TRANSPOSE' || op.inputs.length !== 2 || !graph.isConstant(op.inputs[1]!)) return undefined;
  const data = graph.value(op.inputs[1]!).data!;
  return data.dtype === 'int32' ? Array.from(data.data as Int32Array) : undefined;
}

const isIdentity = (perm: readonly number[]): boolean => perm.every((axis, i) => axis === i);

/** The permutation with its last two entries swapped (what a product reading it with adj sees). */
const swapLastTwo = (perm: readonly number[]): number[] => [...perm.slice(0, -2), perm[perm.length - 1]!, perm[perm.length - 2]!];

const permuted = <T>(values: readonly T[], perm: readonly number[]): T[] => perm.map((axis) => values[axis]!);

function int32Constant(graph: IrGraph, name: string, values: readonly number[]): number {
  return graph.addValue({ name, shape: [values.length], dtype: 'int32', data: new Tensor('int32', [values.length], Int32Array.from(values)) }).id;
}

/** Every reader of `id` is a BATCH_MATMUL, and `id` is not a graph output: its products may read it transposed instead. */
function readOnlyByProducts(graph: IrGraph, id: number): boolean {
  const consumers = graph.consumers(id);
  return !graph.isGraphOutput(id) && consumers.length > 0 && consumers.every((k) => graph.ops[k]!.op === 'BATCH_MATMUL') && graph.value(id).shape.length >= 2;
}

/** Makes every BATCH_MATMUL reading `from` read `to` (the same matrices, transposed) with its adj flag toggled. */
function readTransposed(graph: IrGraph, from: number, to: number): void {
  for (const k of graph.consumers(from)) {
    const product = graph.ops[k]!;
    const options = { ...product.options };
    if (product.inputs[0] === from) options['adjX'] = !options['adjX'];
    if (product.inputs[1] === from) options['adjY'] = !options['adjY'];
    product.inputs = product.inputs.map((id) => (id === from ? to : id));
    product.options = options;
  }
}

function replaceReads(graph: IrGraph, from: number, to: number): void {
  for (const op of graph.ops) op.inputs = op.inputs.map((id) => (id === from ? to : id));
}

function composeTransposes(graph: IrGraph): TransposeRewrite | undefined {
  for (const outer of graph.ops) {
    const q = permOf(graph, outer);
    if (!q) continue;
    const innerIndex = graph.producer(outer.inputs[0]!);
    const inner = innerIndex >= 0 ? graph.ops[innerIndex]! : undefined;
    const p = inner ? permOf(graph, inner) : undefined;
    if (!inner || !p || p.length !== q.length) continue;
    const source = inner.inputs[0]!;
    const composed = permuted(p, q);
    const target = outer.outputs[0]!;
    if (isIdentity(composed) && !graph.isGraphOutput(target)) {
      replaceReads(graph, target, source);
      graph.ops = graph.ops.filter((op) => op !== outer);
    } else {
      outer.inputs = [source, int32Constant(graph, `${graph.value(target).name}/perm`, composed)];
    }
    return { kind: 'compose-transpose', layer: outer.layer, into: inner.layer };
  }
  return undefined;
}

function foldIntoProduct(graph: IrGraph): TransposeRewrite | undefined {
  for (const transpose of graph.ops) {
    const perm = permOf(graph, transpose);
    if (!perm || perm.length < 2 || !isIdentity(swapLastTwo(perm))) continue;
    const output = transpose.outputs[0]!;
    if (!readOnlyByProducts(graph, output)) continue;
    const product = graph.ops[graph.consumers(output)[0]!]!;
    readTransposed(graph, output, transpose.inputs[0]!);
    graph.ops = graph.ops.filter((op) => op !== transpose);
    return { kind: 'fold-transpose', layer: transpose.layer, into: product.layer };
  }
  return undefined;
}

interface SlicedTranspose {
  readonly slice: IrOp;
  readonly transpose: IrOp;
  readonly perm: number[];
  /** The permutations this TRANSPOSE may take: its own, and with the last two axes swapped when only products read it. */
  readonly options: number[][];
}

/** SLICE, and STRIDED_SLICE without the masks that add, drop or skip axes: both keep the rank, so their parameters permute with it. */
function isRankPreservingSlice(op: IrOp): boolean {
  if (op.op === 'SLICE') return op.inputs.length === 3;
  if (op.op !== 'STRIDED_SLICE' || op.inputs.length !== 4) return false;
  const o = op.options;
  return !o['ellipsisMask'] && !o['newAxisMask'] && !o['shrinkAxisMask'] && !o['offset'];
}

/** A slice whose one reader is a TRANSPOSE (by a constant permutation), with its parameters constant. */
function slicedTranspose(graph: IrGraph, slice: IrOp): SlicedTranspose | undefined {
  if (!isRankPreservingSlice(slice) || !slice.inputs.slice(1).every((id) => graph.isConstant(id))) return undefined;
  const sliced = slice.outputs[0]!;
  if (!graph.hasSingleUse(sliced)) return undefined;
  const transpose = graph.ops[graph.consumers(sliced)[0]!]!;
  const perm = permOf(graph, transpose);
  if (!perm || transpose.inputs[0] !== sliced || graph.isGraphOutput(transpose.outputs[0]!)) return undefined;
  const options = [perm];
  if (perm.length >= 2 && readOnlyByProducts(graph, transpose.outputs[0]!)) options.push(swapLastTwo(perm));
  return { slice, transpose, perm, options };
}

/** Bit i of the result is bit perm[i] of `mask` (STRIDED_SLICE's begin and end masks, per axis). */
const permuteMask = (mask: number, perm: readonly number[]): number => perm.reduce((bits, axis, i) => bits | (((mask >> axis) & 1) << i), 0);

function hoistAboveSlices(graph: IrGraph): TransposeRewrite | undefined {
  const bySource = new Map<number, SlicedTranspose[]>();
  for (const op of graph.ops) {
    const candidate = slicedTranspose(graph, op);
    if (candidate) bySource.set(op.inputs[0]!, [...(bySource.get(op.inputs[0]!) ?? []), candidate]);
  }
  for (const [source, candidates] of bySource) {
    if (candidates.length < 2) continue;
    // The permutation the most slices can take (the first candidate's own wins ties).
    const counts = new Map<string, number>();
    for (const c of candidates) for (const option of c.options) counts.set(option.join(), (counts.get(option.join()) ?? 0) + 1);
    let best: string | undefined;
    for (const c of candidates) for (const option of c.options) if (best === undefined || counts.get(option.join())! > counts.get(best)!) best = option.join();
    if (best === undefined || counts.get(best)! < 2) continue;
    const perm = best.split(',').map(Number);
    const group = candidates.filter((c) => c.options.some((option) => option.join() === best));
    const first = group[0]!;
    const sourceValue = graph.value(source);
    const hoisted = graph.addValue({
      name: `${sourceValue.name}/transposed`,
      shape: permuted(sourceValue.shape, perm),
      dtype: sourceValue.dtype,
      ...(first.transpose.layer ? { layer: first.transpose.layer } : {}),
    });
    const transpose: IrOp = { op: 'TRANSPOSE', inputs: [source, int32Constant(graph, `${hoisted.name}/perm`, perm)], outputs: [hoisted.id], options: {}, layer: first.transpose.layer };
    for (const { slice, transpose: old, perm: own } of group) {
      const parameters = slice.inputs.slice(1).map((id, i) => {
        const values = Array.from(graph.value(id).data!.data as Int32Array);
        return int32Constant(graph, `${graph.value(id).name}/transposed_${i}`, permuted(values, perm));
      });
      slice.inputs = [hoisted.id, ...parameters];
      if (slice.op === 'STRIDED_SLICE')
        slice.options = { ...slice.options, beginMask: permuteMask(Number(slice.options['beginMask'] ?? 0), perm), endMask: permuteMask(Number(slice.options['endMask'] ?? 0), perm) };
      const result = old.outputs[0]!;
      if (own.join() === best) {
        slice.outputs = [result];
      } else {
        // This slice joined with its last two axes swapped: its products read it transposed.
        const resultValue = graph.value(result);
        const swapped = graph.addValue({
          name: `${resultValue.name}/swapped`,
          shape: swapLastTwo(resultValue.shape),
          dtype: resultValue.dtype,
          ...(resultValue.layer ? { layer: resultValue.layer } : {}),
        });
        slice.outputs = [swapped.id];
        readTransposed(graph, result, swapped.id);
      }
    }
    const removed = new Set(group.map((c) => c.transpose));
    const at = Math.min(...group.map((c) => graph.ops.indexOf(c.slice)));
    graph.ops = graph.ops.filter((op) => !removed.has(op));
    graph.ops.splice(at, 0, transpose);
    return { kind: 'hoist-transpose', layer: group[1]!.transpose.layer, into: first.transpose.layer };
  }
  return undefined;
}

export const TRANSPOSE_PASSES: ReadonlyArray<(graph: IrGraph) => TransposeRewrite | undefined> = [composeTransposes, foldIntoProduct, hoistAboveSlices];
