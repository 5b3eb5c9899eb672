// x[...] in general (NumPy's rules, which PyTorch follows) as one index map: slices with any
// step, integers, None, Ellipsis, Python lists of ints or bools and constant index tensors, on any
// axis including the batch. Advanced indices (lists, tensors, and integers next to them) broadcast
// together; their axes go where the first one was when they are adjacent, else in front.
// Assignment (x[...] = v) uses the same selection: a gather from x and v (and constants).
import type { GraphArg } from '../../../torch/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, type OpNode } from '../op_node.ts';
import { outputShape } from './common.ts';
import { sizeOf } from '../../../tensor/index.ts';
import { broadcastIndex, flatOf, forEachIndex, gatherByMap, unravel, type Ref } from './index_map.ts';
import { constantInts } from './movement.ts';

type Piece =
  | { readonly kind: 'slice'; readonly axis: number; readonly start: number; readonly step: number; readonly size: number }
  | { readonly kind: 'new' }
  | { readonly kind: 'advanced'; readonly axis: number; readonly shape: readonly number[]; readonly data: readonly number[] };

const isNone = (item: GraphArg): boolean => 'const' in item && item.const === null;
const isAdvanced = (item: GraphArg): boolean => 'list' in item || isTensorConstant(item);

/** Whether `x[index]` needs the general path: a list, several tensors, a bool mask, or the batch axis touched. */
export function needsIndexMap(ctx: BuildContext, items: readonly GraphArg[], x: KValue): boolean {
  if (items.some((item) => 'list' in item)) return true;
  const tensors = items.filter(isTensorConstant);
  if (tensors.length > 1 || tensors.some((item) => ctx.tensorOf(item)?.dtype === 'bool')) return true;
  if (items.some(isNone)) return false;
  const first = items[0];
  const batchTouched = first !== undefined && !('ellipsis' in first) && !('slice' in first && (first.slice as readonly GraphArg[]).every((part) => 'const' in part && part.const === null));
  return batchTouched && x.layout.perm[0] === 0;
}

/** One advanced index as integer positions (bools select where true). */
function advancedIndex(node: OpNode, ctx: BuildContext, item: GraphArg, size: number): { shape: number[]; data: number[] } {
  const raw = constantInts(node, ctx, item, 'index');
  if (raw.bool) {
    if (raw.shape.length !== 1 || raw.data.length !== size) throw new Unsupported(`a boolean index of length ${raw.data.length} on an axis of size ${size}`);
    const data = raw.data.flatMap((v, i) => (v ? [i] : []));
    return { shape: [data.length], data };
  }
  const data = raw.data.map((i) => {
    if (i < -size || i >= size) node.fail(`index ${i} is out of range for an axis of size ${size}`);
    return i < 0 ? i + size : i;
  });
  return { shape: [...raw.shape], data };
}

function broadcastShapes(node: OpNode, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, d) => {
    const sizes = shapes.map((s) => s[d - (rank - s.length)] ?? 1).filter((n) => n !== 1);
    if (new Set(sizes).size > 1) node.fail(`advanced indices of shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')} do not broadcast`);
    return sizes[0] ?? 1;
  });
}

/** What `x[items]` selects: its shape, and for each of its multi-indices the multi-index of x it reads. */
interface Selection {
  readonly shape: readonly number[];
  readonly source: (o: readonly number[]) => number[];
}

/** x[items] as a gather at constant positions. */
export function indexByMap(node: OpNode, ctx: BuildContext, x: KValue, items: readonly GraphArg[]): KValue {
  const { shape, source } = selection(node, ctx, x.torchShape, items, outputShape(node, ctx));
  return gatherByMap(node, ctx, [x], shape, (o) => ({ input: 0, index: source(o) }));
}

/**
 * `self[items] = value` (Tensor.__setitem__, also a write into an indexing view): self with the selected
 * positions replaced by `value` broadcast to the selection's shape (`indexedShape`, recorded by the capture).
 * self and value are each a computed tensor, a constant tensor or (value only) a number; constants join the
 * gather as fill values. Where an index selects a position twice, the last write wins, as on PyTorch's CPU.
 */
export function assignByMap(node: OpNode, ctx: BuildContext, items: readonly GraphArg[], indexedShape: readonly number[]): KValue {
  const [selfArg, , valueArg] = node.node.args;
  const inputs: KValue[] = [];
  const fills: number[] = [];
  // Each operand as a function from its multi-index to a ref into the gather's sources.
  const operand = (arg: GraphArg | undefined, what: string): { shape: readonly number[]; ref: (index: readonly number[]) => Ref } => {
    if (isValueArg(arg)) {
      const value = ctx.value(arg.value, node);
      const k = inputs.push(value) - 1;
      return { shape: value.torchShape, ref: (index) => ({ input: k, index }) };
    }
    if (isTensorConstant(arg)) {
      const tensor = ctx.tensorOf(arg);
      if (!tensor) return node.fail(`its ${what} ${JSON.stringify(arg)} is not among the model's tensors`);
      if (tensor.dtype === 'float64' || tensor.dtype === 'int64' || !['float32', 'float16', 'int32', 'int16', 'int8', 'uint8', 'bool'].includes(tensor.dtype)) {
        throw new Unsupported(`assigns with a constant ${what} of dtype ${tensor.dtype} (float32 and small integer constants are supported)`);
      }
      const base = fills.length;
      for (const v of Array.from(tensor.data as ArrayLike<number>)) fills.push(Number(v));
      return { shape: tensor.shape, ref: (index) => ({ fill: base + flatOf(tensor.shape, index) }) };
    }
    const scalar = literal(arg, what);
    if (typeof scalar !== 'number' && typeof scalar !== 'boolean') throw new Unsupported(`assigns ${JSON.stringify(scalar)} (a tensor or a number is supported)`);
    const k = fills.push(Number(scalar)) - 1;
    return { shape: [], ref: () => ({ fill: k }) };
  };
  const self = operand(selfArg, 'target');
  const value = operand(valueArg, 'value');
  const { shape, source } = selection(node, ctx, self.shape, items, indexedShape);
  if (value.shape.length > shape.length || value.shape.some((d, i) => d !== 1 && d !== shape[i + shape.length - value.shape.length])) {
    throw new Unsupported(`assigns a value of shape [${value.shape.join(', ')}] to a selection of shape [${shape.join(', ')}] (it does not broadcast)`);
  }
  // For each position of self, the selection element written there (-1: not written).
  const writer = new Int32Array(sizeOf(self.shape)).fill(-1);
  let n = 0;
  forEachIndex(shape, (o) => (writer[flatOf(self.shape, source(o))] = n++));
  return gatherByMap(
    node,
    ctx,
    inputs,
    self.shape,
    (p) => {
      const w = writer[flatOf(self.shape, p)]!;
      return w < 0 ? self.ref(p) : value.ref(broadcastIndex(unravel(w, shape), value.shape));
    },
    fills,
  );
}

/** The selection `items` make on a tensor of PyTorch shape `shape`; `expected` is the shape PyTorch gave it. */
function selection(node: OpNode, ctx: BuildContext, shape: readonly number[], items: readonly GraphArg[], expected: readonly number[]): Selection {
  if (items.some(isValueArg)) throw new Unsupported('indexes with a computed tensor (only constant indices are supported)');
  const consumes = (item: GraphArg) => !isNone(item) && !('ellipsis' in item);
  const ellipsis = items.findIndex((item) => 'ellipsis' in item);
  const used = items.filter(consumes).length;
  if (used > shape.length) throw new Unsupported(`indexes ${used} axes of a rank-${shape.length} tensor`);
  const full: GraphArg = { slice: [{ const: null }, { const: null }, { const: null }] };
  const expanded =
    ellipsis < 0
      ? [...items, ...new Array<GraphArg>(shape.length - used).fill(full)]
      : [...items.slice(0, ellipsis), ...new Array<GraphArg>(shape.length - used).fill(full), ...items.slice(ellipsis + 1)];
  const anyAdvanced = expanded.some(isAdvanced);
  const pieces: Piece[] = [];
  let axis = 0;
  for (const item of expanded) {
    if (isNone(item)) {
      pieces.push({ kind: 'new' });
      continue;
    }
    const size = shape[axis]!;
    if ('slice' in item) {
      const [start, stop, step] = (item.slice as readonly GraphArg[]).map((part, k) => literal(part, ['start', 'stop', 'step'][k]!));
      const stride = step === null || step === undefined ? 1 : step;
      if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 1) throw new Unsupported(`slicing with step ${JSON.stringify(step)} (PyTorch allows positive steps only)`);
      const clamp = (v: unknown, fallback: number) => (typeof v !== 'number' ? fallback : Math.min(Math.max(v < 0 ? v + size : v, 0), size));
      const [b, e] = [clamp(start, 0), clamp(stop, size)];
      pieces.push({ kind: 'slice', axis, start: b, step: stride, size: Math.max(0, Math.ceil((e - b) / stride)) });
    } else if ('const' in item && typeof item.const === 'number') {
      const i = item.const;
      if (i < -size || i >= size) node.fail(`index ${i} is out of range for an axis of size ${size}`);
      // An integer among advanced indices is a 0-d advanced index; alone it just drops the axis.
      pieces.push({ kind: 'advanced', axis, shape: [], data: [i < 0 ? i + size : i] });
    } else if (isAdvanced(item)) {
      pieces.push({ kind: 'advanced', axis, ...advancedIndex(node, ctx, item, size) });
    } else throw new Unsupported(`index ${JSON.stringify(item)} (slices, integers, None, ..., lists and constant integer tensors are supported)`);
    axis++;
  }
  // Without lists or tensors, integers drop their axes (no broadcasting, no moving).
  const advanced = pieces.flatMap((p, k) => (p.kind === 'advanced' && (anyAdvanced || p.shape.length > 0) ? [k] : []));
  const dropped = pieces.flatMap((p, k) => (p.kind === 'advanced' && !advanced.includes(k) ? [k] : []));
  const broadcast = broadcastShapes(
    node,
    advanced.map((k) => (pieces[k] as Extract<Piece, { kind: 'advanced' }>).shape),
  );
  const adjacent = advanced.every((k, i) => i === 0 || k === advanced[i - 1]! + 1);
  // Output axes: each slice or None gives one; the broadcast advanced axes go at `insertAt`.
  const layout: Array<{ piece: number } | { advancedAxis: number }> = [];
  const pushBroadcast = () => broadcast.forEach((_, a) => layout.push({ advancedAxis: a }));
  if (advanced.length > 0 && !adjacent) pushBroadcast();
  pieces.forEach((p, k) => {
    if (adjacent && k === advanced[0]) pushBroadcast();
    if (p.kind === 'slice' || p.kind === 'new') layout.push({ piece: k });
  });
  const outShape = layout.map((entry) =>
    'advancedAxis' in entry ? broadcast[entry.advancedAxis]! : pieces[entry.piece]!.kind === 'slice' ? (pieces[entry.piece] as Extract<Piece, { kind: 'slice' }>).size : 1,
  );
  if (outShape.length !== expected.length || outShape.some((d, i) => d !== expected[i])) {
    throw new Unsupported(`index ${JSON.stringify(items)}: the computed shape [${outShape.join(', ')}] differs from PyTorch's [${expected.join(', ')}]`);
  }
  const source = (o: readonly number[]): number[] => {
    const b = layout.flatMap((entry, i) => ('advancedAxis' in entry ? [o[i]!] : []));
    const index = new Array<number>(shape.length);
    layout.forEach((entry, i) => {
      if ('advancedAxis' in entry) return;
      const p = pieces[entry.piece]!;
      if (p.kind === 'slice') index[p.axis] = p.start + o[i]! * p.step;
    });
    for (const k of [...advanced, ...dropped]) {
      const p = pieces[k] as Extract<Piece, { kind: 'advanced' }>;
      const local = p.shape.map((_, d) => (p.shape[d] === 1 ? 0 : b[d + broadcast.length - p.shape.length]!));
      index[p.axis] = p.data[flatOf(p.shape, local)]!;
    }
    return index;
  };
  return { shape: outShape, source };
}
