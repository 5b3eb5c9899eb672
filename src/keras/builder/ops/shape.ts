// Shape ops. A reshape is rewritten for the value's layout when every group of PyTorch axes it
// merges or splits sits in Keras in the same order (then a Keras Reshape does it, or nothing);
// transposes only change the layout; cat/split/slice use the Keras axis of the PyTorch dim.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { BroadcastTo, Slice, StaticReshape, StridedSlice } from '../../layers/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { foldBatch, unfoldBatch } from '../batch_axis.ts';
import type { BuildContext, KValue } from '../context.ts';
import { canonicalPerm, identityPerm, kerasAxis, kerasShapeOf, samePerm } from '../layout.ts';
import { Unsupported, ints, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { gatherAxis } from './condition.ts';
import { constantValue } from './constants.ts';
import { firstInput, input, nameFor, outputShape, passThrough, type Converter } from './common.ts';
import { op, spellings, type Check, type OpFamily } from '../family.ts';
import { gatherByMap } from './index_map.ts';
import { assignByMap, indexByMap, needsIndexMap } from './indexing.ts';
import { broadcastValue } from './movement.ts';

interface AxisGroup {
  readonly from: number[];
  readonly to: number[];
}

/** Splits a reshape of the non-batch, non-unit axes into minimal groups of equal size. */
function reshapeGroups(inShape: readonly number[], outShape: readonly number[]): AxisGroup[] | undefined {
  const big = (shape: readonly number[]) => shape.map((_, axis) => axis).filter((axis) => axis > 0 && shape[axis] !== 1);
  const [ins, outs] = [big(inShape), big(outShape)];
  const groups: AxisGroup[] = [];
  let [i, j] = [0, 0];
  while (i < ins.length && j < outs.length) {
    const group: AxisGroup = { from: [ins[i]!], to: [outs[j]!] };
    let [a, b] = [inShape[ins[i++]!]!, outShape[outs[j++]!]!];
    while (a !== b) {
      if (a < b && i < ins.length) {
        group.from.push(ins[i]!);
        a *= inShape[ins[i++]!]!;
      } else if (b < a && j < outs.length) {
        group.to.push(outs[j]!);
        b *= outShape[outs[j++]!]!;
      } else return undefined;
    }
    groups.push(group);
  }
  return i === ins.length && j === outs.length ? groups : undefined;
}

/** Where to put unit axes: the canonical layout when it agrees with the data order, else PyTorch's, else last. */
function placeUnitAxes(dataOrder: readonly number[], shape: readonly number[]): number[] {
  const rank = shape.length;
  for (const candidate of [canonicalPerm(rank), identityPerm(rank)]) {
    if (
      samePerm(
        candidate.filter((axis) => axis > 0 && shape[axis] !== 1),
        dataOrder,
      )
    )
      return candidate;
  }
  return [0, ...dataOrder, ...identityPerm(rank).filter((axis) => axis > 0 && shape[axis] === 1)];
}

/** `x` with a leading unit axis (PyTorch axis d is axis d + 1): ./batch_axis.ts. */
const fold = (node: OpNode, ctx: BuildContext, x: KValue, i = 0): KValue => foldBatch(ctx, ctx.plain(x, node), `${node.name}__fold${i === 0 ? '' : i}`);

/** The inverse of fold, with PyTorch axis 0 on Keras axis 0 (a Permute first when it is not next in line). */
function unfold(node: OpNode, ctx: BuildContext, folded: KValue, i = 0): KValue {
  const perm = folded.layout.perm;
  const ready = perm[1] === 1 ? folded : ctx.relayout(folded, [0, 1, ...perm.filter((axis) => axis > 1)], node, 'an op across the batch axis left PyTorch axis 0 elsewhere');
  return unfoldBatch(ctx, ready, `${node.name}__unfold${i === 0 ? '' : i}`);
}

/** The value reshaped to PyTorch shape `outShape` (any shape with as many elements). */
function reshapeTo(node: OpNode, ctx: BuildContext, value: KValue, outShape: readonly number[]): KValue {
  if (value.layout.source !== undefined && samePerm(value.torchShape, outShape)) return value;
  let x = ctx.plain(value, node);
  const inShape = x.torchShape;
  // A reshape across the batch axis (flatten to 1-D, patches folded into the batch): on the folded value.
  if (inShape[0] !== outShape[0]) return unfold(node, ctx, reshapeTo(node, ctx, fold(node, ctx, x), [1, ...outShape]));
  const groups = reshapeGroups(inShape, outShape);
  if (!groups) node.fail(`cannot match the axes of reshape [${inShape.join(', ')}] -> [${outShape.join(', ')}]`);
  const groupOf = new Map<number, AxisGroup>();
  for (const group of groups) for (const axis of group.from) groupOf.set(axis, group);
  const kerasOrder = x.layout.perm.filter((axis) => groupOf.has(axis));
  // Each group's axes must be adjacent and in PyTorch order in Keras for a Reshape to be exact.
  const inPlace = groups.every((group) => {
    const start = kerasOrder.indexOf(group.from[0]!);
    return group.from.every((axis, k) => kerasOrder[start + k] === axis);
  });
  let dataOrder: number[];
  if (inPlace) {
    dataOrder = kerasOrder.flatMap((axis) => (groupOf.get(axis)!.from[0] === axis ? groupOf.get(axis)!.to : []));
  } else if (outShape.length === 2) {
    // A flatten of a value Keras holds in another order (NHWC): flatten anyway and remember the
    // order; a following Linear absorbs it in its kernel.
    const layer = tf.layers.flatten({ name: nameFor(node, ctx) });
    return ctx.apply(layer, x, outShape, { perm: x.layout.perm, source: inShape });
  } else {
    // Bring each group's axes together in PyTorch order, keeping the groups' Keras order.
    // Below rank 4 the canonical layout is PyTorch's own order (token sequences): aim for it, so
    // that the next Linear or matmul needs no transpose of its own.
    const ordered =
      outShape.length < 4
        ? [...groups].sort((a, b) => a.to[0]! - b.to[0]!)
        : [...groups].sort((a, b) => Math.min(...a.from.map((axis) => kerasOrder.indexOf(axis))) - Math.min(...b.from.map((axis) => kerasOrder.indexOf(axis))));
    const units = x.layout.perm.filter((axis) => axis > 0 && !groupOf.has(axis));
    x = ctx.relayout(x, [0, ...ordered.flatMap((group) => group.from), ...units], node, `reshape [${inShape.join(', ')}] -> [${outShape.join(', ')}] merges axes that Keras holds in another order`);
    dataOrder = ordered.flatMap((group) => group.to);
  }
  const perm = placeUnitAxes(dataOrder, outShape);
  const target = kerasShapeOf(outShape, perm).slice(1);
  if (samePerm(target, x.tensor.shape.slice(1) as number[])) return { ...x, torchShape: [...outShape], layout: { perm } };
  return ctx.apply(tf.layers.reshape({ targetShape: target, name: nameFor(node, ctx) }), x, outShape, { perm });
}

/**
 * Drops size-1 PyTorch axes from a value whose batch may sit on another PyTorch axis (h_n[-1],
 * h_n.squeeze(0)): the other axes keep their Keras order, so this is a Reshape, or nothing.
 */
function dropUnitAxes(node: OpNode, ctx: BuildContext, x: KValue, dropped: readonly number[], out: readonly number[]): KValue {
  if (dropped.includes(x.layout.perm[0]!)) node.fail('drops the batch axis');
  const perm = x.layout.perm.filter((axis) => !dropped.includes(axis)).map((axis) => axis - dropped.filter((d) => d < axis).length);
  const target = kerasShapeOf(out, perm).slice(1);
  if (samePerm(target, x.tensor.shape.slice(1) as number[])) return { ...x, torchShape: [...out], layout: { perm } };
  return ctx.apply(tf.layers.reshape({ targetShape: target, name: nameFor(node, ctx) }), x, out, { perm });
}

/** The axes squeeze(dim) / squeeze() removes (only size-1 axes go). */
function squeezedAxes(node: OpNode, shape: readonly number[]): number[] {
  const dim = node.node.args[1] ?? node.node.kwargs['dim'];
  if (dim === undefined) return shape.flatMap((d, axis) => (d === 1 ? [axis] : []));
  const raw = num(dim, 'dim');
  const axis = raw < 0 ? raw + shape.length : raw;
  return shape[axis] === 1 ? [axis] : [];
}

/** view / reshape / flatten / squeeze / unsqueeze / nn.Flatten: the recorded output shape says it all. */
export const reshape: Converter = (node, ctx) => {
  const x = firstInput(node, ctx);
  const out = outputShape(node, ctx);
  if (x.layout.perm[0] === 0) return [reshapeTo(node, ctx, x, out)];
  // The batch is another PyTorch axis (h_n): only squeezing keeps it where Keras has it.
  if (!node.op.endsWith('squeeze'))
    throw new Unsupported(`reshapes [${x.torchShape.join(', ')}] -> [${out.join(', ')}] while the batch is PyTorch axis ${x.layout.perm[0]}; only squeezing unit axes is supported there`);
  return [dropUnitAxes(node, ctx, ctx.plain(x, node), squeezedAxes(node, x.torchShape), out)];
};

function transposeBy(node: OpNode, ctx: BuildContext, dims: readonly number[]): KValue[] {
  return [permuteValue(node, ctx, firstInput(node, ctx), dims)];
}

/** x.permute(dims): only the layout changes (no Keras layer). */
function permuteValue(node: OpNode, ctx: BuildContext, value: KValue, dims: readonly number[]): KValue {
  const x = ctx.plain(value, node);
  const rank = x.torchShape.length;
  const order = dims.map((d) => (d < 0 ? d + rank : d));
  // Moving PyTorch's batch axis (x.transpose(0, 1) before a sequence-first module) is a layout
  // change too: Keras axis 0 keeps the batch, which is then PyTorch axis perm[0] != 0. Only the ops
  // in BATCH_MOVED_OPS (build.ts) accept such values.
  // Output axis j is input axis order[j]: Keras axis i, holding input axis perm[i], now holds output axis order.indexOf(perm[i]).
  const perm = x.layout.perm.map((axis) => order.indexOf(axis));
  return { ...x, torchShape: order.map((axis) => x.torchShape[axis]!), layout: { perm } };
}

/**
 * pixel_shuffle(r) as PyTorch defines it: (*, C*r*r, H, W) viewed as (*, C, r, r, H, W), permuted
 * to (*, C, H, r, W, r) and merged to (*, C, H*r, W*r); on a channels-last map that is a Reshape, one
 * Transpose and a Reshape. pixel_unshuffle runs the same steps backwards.
 */
function shuffleValue(node: OpNode, ctx: BuildContext, x: KValue, r: number, up: boolean): KValue {
  const shape = x.torchShape;
  const n = shape.length;
  if (n < 3) throw new Unsupported(`pixel_${up ? '' : 'un'}shuffle of a rank-${n} tensor (needs (*, C, H, W))`);
  const lead = shape.slice(0, n - 3);
  const [c, h, w] = [shape[n - 3]!, shape[n - 2]!, shape[n - 1]!];
  const k = lead.length;
  const axes = (...rest: number[]) => [...identityPerm(k), ...rest.map((a) => a + k)];
  if (up) {
    const split = reshapeTo(node, ctx, x, [...lead, c / (r * r), r, r, h, w]);
    const moved = permuteValue(node, ctx, split, axes(0, 3, 1, 4, 2));
    return reshapeTo(node, ctx, moved, [...lead, c / (r * r), h * r, w * r]);
  }
  const split = reshapeTo(node, ctx, x, [...lead, c, h / r, r, w / r, r]);
  const moved = permuteValue(node, ctx, split, axes(0, 2, 4, 1, 3));
  return reshapeTo(node, ctx, moved, [...lead, c * r * r, h / r, w / r]);
}

const factor = (node: OpNode, key: string): number => (node.node.kind === 'module' ? node.attrNumber(key) : num(node.node.args[1] ?? node.node.kwargs[key], key));
const pixelShuffle: Converter = (node, ctx) => [shuffleValue(node, ctx, firstInput(node, ctx), factor(node, 'upscale_factor'), true)];
const pixelUnshuffle: Converter = (node, ctx) => [shuffleValue(node, ctx, firstInput(node, ctx), factor(node, 'downscale_factor'), false)];

export const transpose: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim0', 'dim1']);
  const rank = firstInput(node, ctx).torchShape.length;
  const [a, b] = [num(args['dim0'], 'dim0'), num(args['dim1'], 'dim1')].map((d) => (d < 0 ? d + rank : d));
  const dims = identityPerm(rank);
  [dims[a!], dims[b!]] = [b!, a!];
  return transposeBy(node, ctx, dims);
};

export const permuteOp: Converter = (node, ctx) => transposeBy(node, ctx, ints(node.bind(['input', '*dims'])['dims'], 'dims') ?? []);

/** x.t(): a 2-D transpose; 0-D and 1-D tensors are returned as they are. */
const transpose2d: Converter = (node, ctx) => {
  const x = firstInput(node, ctx);
  return x.torchShape.length < 2 ? [x] : transposeBy(node, ctx, [1, 0]);
};

/** x.T (x.H on a real tensor): every axis reversed; 0-D and 1-D tensors are returned as they are. */
const reverseAxes: Converter = (node, ctx) => {
  const x = firstInput(node, ctx);
  const rank = x.torchShape.length;
  return rank < 2 ? [x] : transposeBy(node, ctx, identityPerm(rank).reverse());
};

/** x.mT (x.mH on a real tensor): the last two axes swapped, a transpose of each matrix of a batch. */
const matrixTranspose: Converter = (node, ctx) => {
  const dims = identityPerm(firstInput(node, ctx).torchShape.length);
  dims.push(...dims.splice(-2).reverse());
  return transposeBy(node, ctx, dims);
};

/** movedim / moveaxis(source, destination): the moved axes land at `destination`, the rest keep their order. */
const movedim: Converter = (node, ctx) => {
  const args = node.bind(['input', 'source', 'destination']);
  const rank = firstInput(node, ctx).torchShape.length;
  const norm = (d: number) => (d < 0 ? d + rank : d);
  const source = (ints(args['source'], 'source') ?? []).map(norm);
  const destination = (ints(args['destination'], 'destination') ?? []).map(norm);
  if (source.length !== destination.length) throw new Unsupported(`movedim with ${source.length} source and ${destination.length} destination dims`);
  const order = new Array<number>(rank).fill(-1);
  source.forEach((axis, i) => (order[destination[i]!] = axis));
  const rest = identityPerm(rank).filter((axis) => !source.includes(axis));
  for (let j = 0; j < rank; j++) if (order[j] === -1) order[j] = rest.shift()!;
  return transposeBy(node, ctx, order);
};

/** narrow(dim, start, length): a slice (a gather when dim is on Keras's axis 0). */
const narrow: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim', 'start', 'length']);
  const x = ctx.plain(firstInput(node, ctx), node);
  const rank = x.torchShape.length;
  const rawDim = num(args['dim'], 'dim');
  const dim = rawDim < 0 ? rawDim + rank : rawDim;
  const rawStart = num(args['start'], 'start');
  const start = rawStart < 0 ? rawStart + x.torchShape[dim]! : rawStart;
  const length = num(args['length'], 'length');
  if (kerasAxis(x.layout, dim) !== 0) return [sliceAxis(node, ctx, x, dim, start, length)];
  return [gatherByMap(node, ctx, [x], outputShape(node, ctx), (o) => ({ input: 0, index: o.map((i, d) => (d === dim ? i + start : i)) }))];
};

export const cat: Converter = (node, ctx) => {
  const args = node.bind(['tensors', 'dim=']);
  const list = args['tensors'] && 'list' in args['tensors'] ? args['tensors'].list : [];
  const computed = list.filter(isValueArg).map((arg) => ctx.plain(input(node, ctx, arg), node));
  if (computed.length === 0) throw new Unsupported('concatenates only constants');
  const perm = computed[0]!.layout.perm;
  const rank = perm.length;
  // Parameters and constants (a class token) join as ConstantTensor layers in the same layout.
  const values = list.map((arg) => {
    if (isValueArg(arg)) return ctx.plain(input(node, ctx, arg), node);
    if (isTensorConstant(arg)) return constantValue(node, ctx, arg, rank, perm, computed[0]!);
    throw new Unsupported(`concatenates ${JSON.stringify(arg)}`);
  });
  return [catValues(node, ctx, values, num(args['dim'], 'dim', 0), outputShape(node, ctx))];
};

/** One Concatenate along PyTorch dim `dim` (on the folded values when that is Keras's axis 0). */
function catValues(node: OpNode, ctx: BuildContext, values: readonly KValue[], rawDim: number, out: readonly number[]): KValue {
  const perm = values[0]!.layout.perm;
  const dim = rawDim < 0 ? rawDim + perm.length : rawDim;
  const aligned = values.map((v) => ctx.relayout(v, perm, node, 'cat inputs must share a layout'));
  if (aligned.length === 1) return aligned[0]!;
  const axis = kerasAxis(aligned[0]!.layout, dim);
  if (axis === 0) {
    const folded = aligned.map((v, i) => fold(node, ctx, v, i));
    return unfold(node, ctx, catValues(node, ctx, folded, dim + 1, [1, ...out]));
  }
  return ctx.apply(tf.layers.concatenate({ axis, name: nameFor(node, ctx) }), aligned, out, { perm });
}

/** Slices `x` to [begin, begin + size) on PyTorch axis `dim` (one Slice layer). */
function sliceAxis(node: OpNode, ctx: BuildContext, x: KValue, dim: number, begin: number, size: number, suffix = ''): KValue {
  const axis = kerasAxis(x.layout, dim);
  const shape = x.torchShape.map((d, i) => (i === dim ? size : d));
  if (begin === 0 && size === x.torchShape[dim]) return x;
  const keras = x.layout.perm.slice(1).map((_, i) => (i + 1 === axis ? [begin, size] : [0, -1]));
  const layer = new Slice({ begin: keras.map(([b]) => b!), size: keras.map(([, s]) => s!), name: nameFor(node, ctx, suffix) });
  return ctx.apply(layer, x, shape, x.layout);
}

/** split / chunk / unbind-like ops: the recorded outputs give each piece's size along `dim`. */
export const split: Converter = (node, ctx) => {
  // The sizes come from the recorded outputs; only dim matters (the second argument is named
  // split_size_or_sections, split_size, sections or chunks depending on the function).
  const x = ctx.plain(firstInput(node, ctx), node);
  const rank = x.torchShape.length;
  const rawDim = num(node.node.kwargs['dim'] ?? node.node.args[2], 'dim', 0);
  const dim = rawDim < 0 ? rawDim + rank : rawDim;
  const folded = kerasAxis(x.layout, dim) === 0;
  const source = folded ? fold(node, ctx, x) : x;
  let begin = 0;
  return node.node.outputs.map((_, i) => {
    const size = outputShape(node, ctx, i)[dim]!;
    const piece = sliceAxis(node, ctx, source, folded ? dim + 1 : dim, begin, size, i === 0 ? '' : `__${i}`);
    begin += size;
    return folded ? unfold(node, ctx, piece, i) : piece;
  });
};

/** unbind(dim): one slice per position along dim, the axis dropped (timm's q, k, v = qkv.unbind(0)). */
export const unbind: Converter = (node, ctx) => {
  const x = ctx.plain(firstInput(node, ctx), node);
  const rank = x.torchShape.length;
  const rawDim = num(node.node.args[1] ?? node.node.kwargs['dim'], 'dim', 0);
  const dim = rawDim < 0 ? rawDim + rank : rawDim;
  const folded = kerasAxis(x.layout, dim) === 0;
  const source = folded ? fold(node, ctx, x) : x;
  return node.node.outputs.map((_, i) => {
    const out = outputShape(node, ctx, i);
    const suffix = i === 0 ? '' : `__${i}`;
    if (!folded) return dropUnitAxes(node, ctx, sliceAxis(node, ctx, source, dim, i, 1, suffix), [dim], out);
    return unfold(node, ctx, reshapeTo(node, ctx, sliceAxis(node, ctx, source, dim + 1, i, 1, suffix), [1, ...out]), i);
  });
};

/** Every `stride`-th element of [begin, end) on PyTorch axis `dim` (one StridedSlice layer). */
function stridedSliceAxis(node: OpNode, ctx: BuildContext, x: KValue, dim: number, begin: number, end: number, stride: number, suffix: string): KValue {
  const axis = kerasAxis(x.layout, dim);
  const shape = x.torchShape.map((d, i) => (i === dim ? Math.max(0, Math.ceil((end - begin) / stride)) : d));
  const kerasShape = x.tensor.shape.slice(1) as number[];
  const layer = new StridedSlice({
    begin: kerasShape.map((_, i) => (i + 1 === axis ? begin : 0)),
    end: kerasShape.map((d, i) => (i + 1 === axis ? end : d)),
    strides: kerasShape.map((_, i) => (i + 1 === axis ? stride : 1)),
    name: nameFor(node, ctx, suffix),
  });
  return ctx.apply(layer, x, shape, x.layout);
}

/** stack: every input gets a unit axis at `dim`, then one Concatenate along it. */
export const stack: Converter = (node, ctx) => {
  const args = node.bind(['tensors', 'dim=']);
  const list = args['tensors'] && 'list' in args['tensors'] ? args['tensors'].list : [];
  if (!list.every(isValueArg)) throw new Unsupported('stacks constants with computed tensors');
  const out = outputShape(node, ctx);
  const rawDim = num(args['dim'], 'dim', 0);
  const dim = rawDim < 0 ? rawDim + out.length : rawDim;
  const expanded = list.map((arg, i) =>
    dim === 0
      ? fold(node, ctx, input(node, ctx, arg), i)
      : reshapeTo(
          node,
          ctx,
          input(node, ctx, arg),
          out.map((d, k) => (k === dim ? 1 : d)),
        ),
  );
  return [catValues(node, ctx, expanded, dim, out)];
};

/**
 * The items of x[index]. The capture records a tuple and a list alike, so x[1, 0] and x[[1, 0]]
 * look the same: a tuple of integers drops axes, a list of them keeps the rank.
 */
function indexItems(node: OpNode, ctx: BuildContext, x: KValue): GraphArg[] {
  return splitIndex(node.node.args[1], outputShape(node, ctx).length, x.torchShape.length);
}

/**
 * The index of x[index] as one item per indexed axis. A tuple and a list are both recorded as a list:
 * x[[0, 1]] (one advanced index, rank kept) and x[0, 1] (two integers, two axes dropped) are told apart
 * by the rank of the result.
 */
function splitIndex(index: GraphArg | undefined, selectedRank: number, rank: number): GraphArg[] {
  if (!index) return [];
  if (!('list' in index)) return [index];
  const scalars = index.list.every((item) => 'const' in item && (typeof item.const === 'number' || typeof item.const === 'boolean'));
  return scalars && selectedRank === rank ? [index] : [...index.list];
}

/** x[index] = value (and writes into an indexing view of x): see assignByMap. */
const setItem: Converter = (node, ctx) => {
  const recorded = node.node.kwargs['indexed_shape'];
  const indexedShape = recorded ? literal(recorded, 'indexed_shape') : undefined;
  if (!Array.isArray(indexedShape) || !indexedShape.every((d) => Number.isInteger(d))) {
    throw new Unsupported('assignment recorded without the shape of the selection (a graph captured before torchport recorded assignments): re-record the golden');
  }
  const target = node.node.args[0];
  const rank = target && isValueArg(target) ? ctx.value(target.value, node).torchShape.length : outputShape(node, ctx).length;
  return [assignByMap(node, ctx, splitIndex(node.node.args[1], indexedShape.length, rank), indexedShape as number[])];
};

/** Indices computed from the inputs are refused; constant ones (lists, tensors, several) convert. */
const checkGetItem: Check = (node) => {
  const index = node.node.args[1];
  const items = index && 'list' in index ? index.list : index ? [index] : [];
  return items.some((item) => isValueArg(item) || ('list' in item && item.list.some(isValueArg)))
    ? 'indexes with a tensor computed from the inputs (only constant indices are supported: slices, integers, lists, constant tensors)'
    : undefined;
};

/** x[...] with slices (any positive step), integers, one constant index tensor and Ellipsis. */
export const getItem: Converter = (node, ctx) => {
  const x = ctx.plain(firstInput(node, ctx), node);
  // Usually 0; h_n (layers x directions, batch, hidden) has its batch on PyTorch axis 1.
  const batchAxis = x.layout.perm[0]!;
  const indexed: number[] = [];
  const index = node.node.args[1];
  const items = indexItems(node, ctx, x);
  if (needsIndexMap(ctx, items, x)) return [indexByMap(node, ctx, x, items)];
  const rank = x.torchShape.length;
  const ellipsis = items.findIndex((item) => 'ellipsis' in item);
  const explicit = items.filter((item) => !('ellipsis' in item)).length;
  const perAxis = ellipsis < 0 ? [...items] : [...items.slice(0, ellipsis), ...new Array(rank - explicit).fill(undefined), ...items.slice(ellipsis + 1)];
  let value = x;
  perAxis.forEach((item, dim) => {
    if (item === undefined) return;
    const size = x.torchShape[dim]!;
    if ('slice' in item) {
      const [start, stop, step] = (item.slice as readonly GraphArg[]).map((part: GraphArg, k: number) => literal(part, ['start', 'stop', 'step'][k]!));
      const stride = step === null || step === undefined ? 1 : step;
      if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 1) throw new Unsupported(`slicing with step ${JSON.stringify(step)}`);
      const clamp = (v: unknown, fallback: number) => (typeof v !== 'number' ? fallback : Math.min(Math.max(v < 0 ? v + size : v, 0), size));
      const [b, e] = [clamp(start, 0), clamp(stop, size)];
      if (dim === batchAxis && (b !== 0 || e !== size || stride !== 1)) node.fail('slices the batch axis');
      value = stride === 1 ? sliceAxis(node, ctx, value, dim, b, Math.max(e - b, 0), `__${dim}`) : stridedSliceAxis(node, ctx, value, dim, b, e, stride, `__${dim}`);
    } else if ('const' in item && typeof item.const === 'number') {
      if (dim === batchAxis) node.fail('indexes the batch axis');
      const i = item.const < 0 ? item.const + size : item.const;
      value = sliceAxis(node, ctx, value, dim, i, 1, `__${dim}`);
      indexed.push(dim);
    } else if (isTensorConstant(item) && batchAxis === 0) {
      // One constant index tensor among slices: PyTorch keeps the gathered axis where it was.
      if (items.filter(isTensorConstant).length > 1) throw new Unsupported('indexing with more than one tensor (advanced indices broadcast together)');
      value = gatherAxis(node, ctx, value, dim, item, `__${dim}`);
    } else if (isTensorConstant(item)) {
      throw new Unsupported(`an index tensor on a value whose batch is PyTorch axis ${batchAxis} (h_n): index it with integers, or transpose the batch back to axis 0 first`);
    } else throw new Unsupported(`index ${JSON.stringify(item)} (only slices, integers, constant integer tensors and ... are supported)`);
  });
  const out = outputShape(node, ctx);
  if (samePerm(out, value.torchShape)) return [value];
  if (batchAxis !== 0) {
    if (out.length !== value.torchShape.length - indexed.length) throw new Unsupported(`index ${JSON.stringify(index)} adds axes while the batch is PyTorch axis ${batchAxis}`);
    return [dropUnitAxes(node, ctx, value, indexed, out)];
  }
  return [reshapeTo(node, ctx, value, out)];
};

/**
 * What expand reads: a computed tensor, or a parameter expanded to a computed tensor's shape
 * (`self.bias.expand_as(features)`): a ConstantTensor repeated over that tensor's batch.
 */
function expandSource(node: OpNode, ctx: BuildContext, out: readonly number[]): KValue {
  const [self, other] = node.node.args;
  if (!isTensorConstant(self)) return ctx.plain(firstInput(node, ctx), node);
  if (!isValueArg(other)) throw new Unsupported('expands a constant to a shape that does not come from a computed tensor');
  const like = ctx.plain(input(node, ctx, other, 'other'), node);
  const constant = constantValue(node, ctx, self, out.length, like.layout.perm.length === out.length ? like.layout.perm : canonicalPerm(out.length), like);
  return { ...constant, torchShape: [like.torchShape[0]!, ...constant.torchShape.slice(1)] };
}

/** expand / expand_as / broadcast_to: size-1 axes repeated to the recorded shape (BroadcastTo when rank and batch stay). */
export const expand: Converter = (node, ctx) => {
  const out = outputShape(node, ctx);
  const x = expandSource(node, ctx, out);
  // To a higher rank or along the batch axis: a gather at static positions.
  if (out.length !== x.torchShape.length || out[0] !== x.torchShape[0]) return [broadcastValue(node, ctx, x, out)];
  const target = kerasShapeOf(out, x.layout.perm).slice(1);
  if (samePerm(target, x.tensor.shape.slice(1) as number[])) return [x];
  return [ctx.apply(new BroadcastTo({ shape: target, name: nameFor(node, ctx) }), x, out, x.layout)];
};

const RESHAPE = op(reshape);
const SPLIT = op(split);
const CAT = op(cat);

export const FAMILY: OpFamily = {
  name: 'Shapes, indexing and identities',
  layers: [BroadcastTo, Slice, StaticReshape, StridedSlice],
  ops: {
    ...spellings(['Identity', 'Dropout', 'Dropout2d', 'Dropout1d', 'AlphaDropout', 'F.dropout', 'F.dropout2d', 'Tensor.contiguous', 'Tensor.clone', 'Tensor.detach'], op(passThrough)),
    ...spellings(
      [
        'Tensor.reshape_as',
        'Tensor.view_as',
        'Tensor.unflatten',
        'torch.unflatten',
        'Flatten',
        'Unflatten',
        'torch.flatten',
        'Tensor.flatten',
        'Tensor.view',
        'Tensor.reshape',
        'torch.reshape',
        'Tensor.squeeze',
        'torch.squeeze',
        'Tensor.unsqueeze',
        'torch.unsqueeze',
      ],
      RESHAPE,
    ),
    ...spellings(['Tensor.transpose', 'torch.transpose'], op(transpose)),
    ...spellings(['Tensor.permute', 'torch.permute'], op(permuteOp)),
    ...spellings(['Tensor.t', 'torch.t'], op(transpose2d)),
    ...spellings(['Tensor.T', 'Tensor.H'], op(reverseAxes)),
    ...spellings(['Tensor.mT', 'Tensor.mH'], op(matrixTranspose)),
    ...spellings(['torch.movedim', 'Tensor.movedim', 'torch.moveaxis', 'Tensor.moveaxis'], op(movedim)),
    ...spellings(['Tensor.swapaxes', 'torch.swapaxes', 'Tensor.swapdims', 'torch.swapdims'], op(transpose)),
    ...spellings(['Tensor.narrow', 'torch.narrow'], op(narrow)),
    ...spellings(['torch.unbind', 'Tensor.unbind'], op(unbind)),
    ...spellings(['F.pixel_shuffle', 'torch.pixel_shuffle', 'PixelShuffle'], op(pixelShuffle)),
    ...spellings(['F.pixel_unshuffle', 'torch.pixel_unshuffle', 'PixelUnshuffle'], op(pixelUnshuffle)),
    ...spellings(['torch.cat', 'torch.concat'], CAT),
    ...spellings(['torch.split', 'Tensor.split', 'torch.chunk', 'Tensor.chunk'], SPLIT),
    ...spellings(['Tensor.expand', 'Tensor.expand_as', 'torch.broadcast_to', 'Tensor.broadcast_to'], op(expand)),
    'Tensor.__getitem__': op(getItem, checkGetItem),
    'Tensor.__setitem__': op(setItem, checkGetItem),
    'torch.stack': op(stack),
  },
};
