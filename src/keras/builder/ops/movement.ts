// Data movement with static indices, each op one index map (./index_map.ts): repeat, tile,
// repeat_interleave, expand / broadcast_to / broadcast_tensors to any shape, copy_, im2col
// (F.unfold / nn.Unfold) and col2im (F.fold / nn.Fold), Tensor.unfold windows, gather /
// take_along_dim, scatter / scatter_add / index_add / index_put at constant indices, triu / tril.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { ConstantArithmetic } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { kerasShapeOf } from '../layout.ts';
import { Unsupported, bool, expand as expandInts, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { op, spellings, type OpFamily } from '../family.ts';
import { firstInput, input, nameFor, outputShape, type Converter } from './common.ts';
import { broadcastIndex, flatOf, forEachIndex, gatherByMap, unravel, type Ref } from './index_map.ts';
import { repeatSlices } from './repeat_heads.ts';

interface IntTensor {
  readonly shape: readonly number[];
  readonly data: readonly number[];
  /** A mask (bool dtype, or a list of Python bools) rather than positions. */
  readonly bool: boolean;
}

/** A constant integer tensor argument (a buffer, a folded torch.tensor(...)). */
export function constantInts(node: OpNode, ctx: BuildContext, arg: GraphArg | undefined, what: string): IntTensor {
  if (isValueArg(arg)) throw new Unsupported(`${what} is computed from the inputs (only constant index tensors are supported: register the indices as a buffer)`);
  if (!isTensorConstant(arg)) {
    const raw = literal(arg, what);
    const flat = (Array.isArray(raw) ? raw.flat(8) : [raw]) as unknown[];
    if (!flat.every((v) => Number.isInteger(v) || typeof v === 'boolean')) throw new Unsupported(`${what} must be integers, got ${JSON.stringify(raw)}`);
    return { shape: Array.isArray(raw) ? [raw.length] : [], data: flat.map(Number), bool: flat.length > 0 && flat.every((v) => typeof v === 'boolean') };
  }
  const tensor = ctx.tensorOf(arg);
  if (!tensor) node.fail(`its ${what} ${JSON.stringify(arg)} is not among the model's tensors`);
  if (!['int64', 'int32', 'int16', 'int8', 'uint8', 'bool'].includes(tensor.dtype)) throw new Unsupported(`${what} of dtype ${tensor.dtype} (integer indices only)`);
  return { shape: tensor.shape, data: tensor.toArray(), bool: tensor.dtype === 'bool' };
}

/** An index in [-size, size) made non-negative. */
function position(node: OpNode, i: number, size: number, what: string): number {
  if (!Number.isInteger(i) || i < -size || i >= size) node.fail(`${what} ${i} is out of range for an axis of size ${size}`);
  return i < 0 ? i + size : i;
}

const axisOf = (node: OpNode, dim: number, rank: number): number => {
  if (!Number.isInteger(dim) || dim < -Math.max(rank, 1) || dim >= Math.max(rank, 1)) throw new Unsupported(`dim ${dim} is out of range for a rank-${rank} tensor`);
  return dim < 0 ? dim + rank : dim;
};

const at = (index: readonly number[]): Ref => ({ input: 0, index: [...index] });

/** repeat / tile: output element o reads input element o mod the input's shape (leading new axes dropped). */
const repeatOrTile: Converter = (node, ctx) => {
  const x = firstInput(node, ctx);
  const out = outputShape(node, ctx);
  const shape = x.torchShape;
  const extra = out.length - shape.length;
  if (extra < 0) throw new Unsupported(`repeats to rank ${out.length}, below the input's rank ${shape.length}`);
  return [gatherByMap(node, ctx, [x], out, (o) => at(shape.map((size, d) => o[d + extra]! % size)))];
};

/** repeat_interleave(x, repeats, dim=None): each element (of the flattened x when dim is None) `repeats` times in a row. */
const repeatInterleave: Converter = (node, ctx) => {
  const args = node.bind(['input', 'repeats', 'dim=', 'output_size=']);
  const x = firstInput(node, ctx);
  const rawDim = literal(args['dim'], 'dim');
  const flatten = rawDim === undefined || rawDim === null;
  const shape = flatten ? [x.torchShape.reduce((a, b) => a * b, 1)] : x.torchShape;
  const dim = flatten ? 0 : axisOf(node, num(args['dim'], 'dim'), shape.length);
  const size = shape[dim]!;
  const repeats = constantInts(node, ctx, args['repeats'], 'repeats');
  if (repeats.data.length !== 1 && repeats.data.length !== size) node.fail(`has ${repeats.data.length} repeats for an axis of size ${size}`);
  const source = Array.from({ length: size }, (_, i) => new Array<number>(repeats.data.length === 1 ? repeats.data[0]! : repeats.data[i]!).fill(i)).flat();
  if (!flatten && repeats.data.length === 1) {
    const repeated = repeatSlices(node, ctx, x, repeats.data[0]!, dim);
    if (repeated) return [repeated];
  }
  const out = outputShape(node, ctx);
  if (flatten) return [gatherByMap(node, ctx, [x], out, (o) => at(unravel(source[o[0]!]!, x.torchShape)))];
  return [gatherByMap(node, ctx, [x], out, (o) => at(o.map((i, d) => (d === dim ? source[i]! : i))))];
};

/** x broadcast to PyTorch shape `out` (any rank at least x's, batch axis included). */
export function broadcastValue(node: OpNode, ctx: BuildContext, x: KValue, out: readonly number[]): KValue {
  if (x.torchShape.length === out.length && x.torchShape.every((d, i) => d === out[i])) return x;
  return gatherByMap(node, ctx, [x], out, (o) => at(broadcastIndex(o, x.torchShape)));
}

/** self.copy_(src): self's values are replaced by src broadcast to self's shape. */
const copyInto: Converter = (node, ctx) => {
  const args = node.bind(['self', 'src', 'non_blocking=']);
  if (!isValueArg(args['src'])) throw new Unsupported('copies a constant into a tensor (the result does not depend on the inputs)');
  const src = input(node, ctx, args['src'], 'src');
  // A computed self (zeros_like(x)) joins the sources unread, so the layers that made it stay in the model.
  const self = isValueArg(args['self']) ? [input(node, ctx, args['self'], 'self')] : [];
  return [gatherByMap(node, ctx, [src, ...self], outputShape(node, ctx), (o) => at(broadcastIndex(o, src.torchShape)))];
};

const broadcastTensors: Converter = (node, ctx) => {
  const args = node.bind(['*tensors']);
  const list = args['tensors'] && 'list' in args['tensors'] ? args['tensors'].list : [];
  if (!list.every(isValueArg)) throw new Unsupported('broadcasts constants with computed tensors');
  return list.map((arg, i) => broadcastValue(node, ctx, input(node, ctx, arg), outputShape(node, ctx, i)));
};

interface Window {
  readonly kernel: number[];
  readonly dilation: number[];
  readonly padding: number[];
  readonly stride: number[];
}

/** im2col hyperparameters, from the module's attributes or the call's arguments (names as F.unfold's). */
function windowOf(node: OpNode, args: Record<string, GraphArg | undefined>): Window {
  const get = (key: string, fallback: number) => {
    const value = node.node.kind === 'module' ? node.attrs[key] : literal(args[key], key);
    return expandInts(value === undefined || value === null ? fallback : value, 2, key);
  };
  return { kernel: get('kernel_size', 1), dilation: get('dilation', 1), padding: get('padding', 0), stride: get('stride', 1) };
}

/** Number of window positions along one axis. */
const blocks = (size: number, w: Window, d: number): number => Math.floor((size + 2 * w.padding[d]! - w.dilation[d]! * (w.kernel[d]! - 1) - 1) / w.stride[d]!) + 1;

/** F.unfold / nn.Unfold: (N, C, H, W) -> (N, C*kh*kw, L), padding reads zeros. */
const im2col: Converter = (node, ctx) => {
  const args = node.node.kind === 'module' ? {} : node.bind(['input', 'kernel_size', 'dilation=', 'padding=', 'stride=']);
  const x = firstInput(node, ctx);
  const w = windowOf(node, args);
  const rank = x.torchShape.length;
  if (rank !== 4 && rank !== 3) throw new Unsupported(`unfold of a rank-${rank} tensor (needs (N, C, H, W) or (C, H, W))`);
  const [H, W] = [x.torchShape[rank - 2]!, x.torchShape[rank - 1]!];
  const cols = blocks(W, w, 1);
  const [kh, kw] = [w.kernel[0]!, w.kernel[1]!];
  return [
    gatherByMap(
      node,
      ctx,
      [x],
      outputShape(node, ctx),
      (o) => {
        const [ch, l] = [o[o.length - 2]!, o[o.length - 1]!];
        const [c, ki, kj] = [Math.floor(ch / (kh * kw)), Math.floor(ch / kw) % kh, ch % kw];
        const y = Math.floor(l / cols) * w.stride[0]! - w.padding[0]! + ki * w.dilation[0]!;
        const xx = (l % cols) * w.stride[1]! - w.padding[1]! + kj * w.dilation[1]!;
        if (y < 0 || y >= H || xx < 0 || xx >= W) return { fill: 0 };
        return at([...o.slice(0, o.length - 2), c, y, xx]);
      },
      [0],
    ),
  ];
};

/** F.fold / nn.Fold: (N, C*kh*kw, L) -> (N, C, H, W), overlapping window elements add up. */
const col2im: Converter = (node, ctx) => {
  const args = node.node.kind === 'module' ? {} : node.bind(['input', 'output_size', 'kernel_size', 'dilation=', 'padding=', 'stride=']);
  const x = firstInput(node, ctx);
  const w = windowOf(node, args);
  const out = outputShape(node, ctx);
  const [H, W] = [out[out.length - 2]!, out[out.length - 1]!];
  const [rows, cols] = [blocks(H, w, 0), blocks(W, w, 1)];
  const [kh, kw] = [w.kernel[0]!, w.kernel[1]!];
  return [
    gatherByMap(node, ctx, [x], out, (o) => {
      const n = o.length;
      const [c, y, xx] = [o[n - 3]!, o[n - 2]!, o[n - 1]!];
      const refs: Ref[] = [];
      for (let ki = 0; ki < kh; ki++) {
        const top = y + w.padding[0]! - ki * w.dilation[0]!;
        if (top < 0 || top % w.stride[0]! !== 0 || top / w.stride[0]! >= rows) continue;
        for (let kj = 0; kj < kw; kj++) {
          const left = xx + w.padding[1]! - kj * w.dilation[1]!;
          if (left < 0 || left % w.stride[1]! !== 0 || left / w.stride[1]! >= cols) continue;
          refs.push(at([...o.slice(0, n - 3), (c * kh + ki) * kw + kj, (top / w.stride[0]!) * cols + left / w.stride[1]!]));
        }
      }
      return refs;
    }),
  ];
};

/** x.unfold(dim, size, step): windows along dim, the window axis appended last. */
const windows: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dimension', 'size', 'step']);
  const x = firstInput(node, ctx);
  const rank = x.torchShape.length;
  const dim = axisOf(node, num(args['dimension'], 'dimension'), rank);
  const step = num(args['step'], 'step');
  return [gatherByMap(node, ctx, [x], outputShape(node, ctx), (o) => at(o.slice(0, rank).map((i, d) => (d === dim ? i * step + o[rank]! : i))))];
};

/** torch.gather(x, dim, index): out[o] = x[o with o[dim] = index[o]]. */
const gather: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim', 'index', 'sparse_grad=']);
  const table = args['input'];
  if (isTensorConstant(table) && isValueArg(args['index'])) return [gatherFromConstant(node, ctx, table, num(args['dim'], 'dim'), input(node, ctx, args['index'], 'index'))];
  const x = firstInput(node, ctx);
  const dim = axisOf(node, num(args['dim'], 'dim'), x.torchShape.length);
  const index = constantInts(node, ctx, args['index'], 'index');
  return [gatherByMap(node, ctx, [x], outputShape(node, ctx), (o) => at(o.map((i, d) => (d === dim ? position(node, index.data[flatOf(index.shape, o)]!, x.torchShape[dim]!, 'index') : i))))];
};

/**
 * torch.gather(C, dim, index) of a constant C at indices computed from the inputs (RoBERTa's token
 * type ids: a zeros buffer gathered at the position ids): a lookup (Embedding, TFLite GATHER) into
 * C's elements at index * stride(dim) + each position's constant offset along the other axes; no
 * arithmetic when C varies along dim only. C must not vary along the batch axis.
 */
function gatherFromConstant(node: OpNode, ctx: BuildContext, arg: { param: string } | { constant: string }, rawDim: number, computed: KValue): KValue {
  const tensor = ctx.tensorOf(arg);
  if (!tensor) return node.fail(`its input ${JSON.stringify(arg)} is not among the model's tensors`);
  const shape = tensor.shape;
  const rank = shape.length;
  const dim = axisOf(node, rawDim, rank);
  const index = ctx.plain(computed, node);
  const indexShape = index.torchShape;
  if (indexShape.length !== rank) throw new Unsupported(`index of rank ${indexShape.length} for an input of rank ${rank} (torch.gather needs equal ranks)`);
  if (dim === 0) throw new Unsupported('gathers a constant along the batch axis at computed indices');
  if (index.layout.perm[0] !== 0) throw new Unsupported('index whose batch axis Keras holds elsewhere');
  if (indexShape.some((size, d) => d > 0 && d !== dim && size > shape[d]!)) node.fail(`index of shape [${indexShape.join(', ')}] is larger than the input [${shape.join(', ')}] off dim ${dim}`);
  const data = tensor.toArray();
  const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
  const row = data.slice(0, rowSize);
  if (data.some((v, i) => v !== row[i % rowSize])) throw new Unsupported('gathers at computed indices from a constant that varies along the batch axis');
  // Strides of C without its batch axis, per PyTorch axis (axis 0 unused).
  const strides = shape.map((_, d) => (d === 0 ? 0 : shape.slice(d + 1).reduce((a, b) => a * b, 1)));
  const alongDimOnly = row.every((v, p) => v === row[(Math.floor(p / strides[dim]!) % shape[dim]!) * strides[dim]!]);
  const values = alongDimOnly ? Array.from({ length: shape[dim]! }, (_, j) => row[j * strides[dim]!]!) : row;
  let flat = index;
  if (!alongDimOnly) {
    if (strides[dim] !== 1) flat = ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: strides[dim]!, name: nameFor(node, ctx, '__stride') }), flat, indexShape, flat.layout);
    // Keras axis k holds PyTorch axis perm[k]: the offsets in the index's Keras order.
    const perm = index.layout.perm;
    const kerasShape = perm.map((axis) => (axis === 0 ? 1 : indexShape[axis]!));
    const offsets = new Float32Array(kerasShape.reduce((a, b) => a * b, 1));
    let i = 0;
    forEachIndex(kerasShape, (k) => {
      offsets[i++] = k.reduce((sum, position, j) => (perm[j] === 0 || perm[j] === dim ? sum : sum + position * strides[perm[j]!]!), 0);
    });
    const layer = new ConstantArithmetic({ op: 'add', shape: kerasShape, name: nameFor(node, ctx, '__offsets') });
    ctx.addTensor(layer.name, 'value', `<gather>.${layer.name}`, new Tensor('float32', kerasShape, offsets));
    flat = ctx.apply(layer, flat, indexShape, flat.layout);
  }
  const lookup = tf.layers.embedding({ inputDim: values.length, outputDim: 1, embeddingsInitializer: 'zeros', name: nameFor(node, ctx, '__lookup') });
  ctx.addTensor(lookup.name, 'embeddings', `<gather>.${lookup.name}`, new Tensor('float32', [values.length, 1], Float32Array.from(values)));
  const looked = ctx.apply(lookup, flat, [...indexShape, 1], { perm: [...index.layout.perm, rank] });
  const reshape = tf.layers.reshape({ targetShape: kerasShapeOf(indexShape, index.layout.perm).slice(1), name: nameFor(node, ctx, '__squeeze') });
  return ctx.apply(reshape, looked, indexShape, index.layout);
}

/** torch.take_along_dim(x, indices, dim): gather with x and indices broadcast against each other. */
const takeAlongDim: Converter = (node, ctx) => {
  const args = node.bind(['input', 'indices', 'dim=']);
  const x = firstInput(node, ctx);
  if (literal(args['dim'], 'dim') === undefined || literal(args['dim'], 'dim') === null) throw new Unsupported('take_along_dim without dim (indices into the flattened tensor): give dim=');
  const dim = axisOf(node, num(args['dim'], 'dim'), x.torchShape.length);
  const index = constantInts(node, ctx, args['indices'], 'indices');
  const out = outputShape(node, ctx);
  return [
    gatherByMap(node, ctx, [x], out, (o) => {
      const i = position(node, index.data[flatOf(index.shape, broadcastIndex(o, index.shape))]!, x.torchShape[dim]!, 'index');
      return at(broadcastIndex(o, x.torchShape).map((v, d) => (d === dim ? i : v)));
    }),
  ];
};

/** What a scatter writes: element p of a computed tensor (input 1), or a number (fill 0). */
function scatterSource(node: OpNode, ctx: BuildContext, arg: GraphArg | undefined, what: string): { inputs: KValue[]; fills: number[]; ref: (p: readonly number[]) => Ref } {
  if (isValueArg(arg)) {
    const src = input(node, ctx, arg, what);
    return { inputs: [src], fills: [], ref: (p) => ({ input: 1, index: broadcastIndex(p, src.torchShape) }) };
  }
  if (isTensorConstant(arg)) throw new Unsupported(`${what} is a constant tensor (only a computed tensor or a number is supported)`);
  return { inputs: [], fills: [num(arg, what)], ref: () => ({ fill: 0 }) };
}

/** The output as refs per element, starting from the input itself. */
function writeMap(node: OpNode, ctx: BuildContext, x: KValue, write: (put: (q: readonly number[], ref: Ref, add: boolean) => void) => void, inputs: KValue[], fills: number[]): KValue {
  const shape = x.torchShape;
  const refs = new Map<number, Ref[]>();
  write((q, ref, add) => {
    const key = flatOf(shape, q);
    refs.set(key, add ? [...(refs.get(key) ?? [at(q)]), ref] : [ref]);
  });
  return gatherByMap(node, ctx, [x, ...inputs], shape, (o) => refs.get(flatOf(shape, o)) ?? at(o), fills);
}

/** scatter(x, dim, index, src | value) and scatter_add: out[o with o[dim] = index[p]] = src[p] (or += ). */
const scatter =
  (add: boolean): Converter =>
  (node, ctx) => {
    const args = node.bind(add ? ['input', 'dim', 'index', 'src'] : ['input', 'dim', 'index', 'src=', 'value=', 'reduce=']);
    if (!add && literal(args['reduce'] ?? { const: null }, 'reduce') !== null) throw new Unsupported('scatter with reduce= (only plain scatter and scatter_add are supported)');
    const x = firstInput(node, ctx);
    const dim = axisOf(node, num(args['dim'], 'dim'), x.torchShape.length);
    const index = constantInts(node, ctx, args['index'], 'index');
    const source = scatterSource(node, ctx, args['src'] ?? args['value'], 'src');
    return [
      writeMap(
        node,
        ctx,
        x,
        (put) =>
          forEachIndex(index.shape, (p) => {
            const q = p.map((i, d) => (d === dim ? position(node, index.data[flatOf(index.shape, p)]!, x.torchShape[dim]!, 'index') : i));
            put(q, source.ref(p), add);
          }),
        source.inputs,
        source.fills,
      ),
    ];
  };

/** index_add(x, dim, index, source, alpha=1): out[..., index[i], ...] += source[..., i, ...]. */
const indexAdd: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim', 'index', 'source', 'alpha=']);
  if (num(args['alpha'], 'alpha', 1) !== 1) throw new Unsupported('index_add with alpha != 1 (scale the source first)');
  const x = firstInput(node, ctx);
  const dim = axisOf(node, num(args['dim'], 'dim'), x.torchShape.length);
  const index = constantInts(node, ctx, args['index'], 'index');
  if (!isValueArg(args['source'])) throw new Unsupported('index_add of a constant source');
  const src = input(node, ctx, args['source'], 'source');
  return [
    writeMap(
      node,
      ctx,
      x,
      (put) =>
        forEachIndex(src.torchShape, (p) => {
          put(
            p.map((i, d) => (d === dim ? position(node, index.data[i]!, x.torchShape[dim]!, 'index') : i)),
            { input: 1, index: [...p] },
            true,
          );
        }),
      [src],
      [],
    ),
  ];
};

/** index_put(x, (i0, i1, ...), values, accumulate): the index tensors address the leading axes and broadcast together. */
const indexPut: Converter = (node, ctx) => {
  const args = node.bind(['input', 'indices', 'values', 'accumulate=']);
  const accumulate = bool(args['accumulate'], 'accumulate', false);
  const x = firstInput(node, ctx);
  const list = args['indices'] && 'list' in args['indices'] ? args['indices'].list : [];
  if (list.length === 0 || list.length > x.torchShape.length) throw new Unsupported(`index_put with ${list.length} index tensors`);
  const indices = list.map((arg, i) => constantInts(node, ctx, arg, `indices[${i}]`));
  if (indices.some((t) => t.data.length !== indices[0]!.data.length || t.shape.length > 1)) throw new Unsupported('index_put with index tensors of different shapes or of rank > 1');
  const count = indices[0]!.data.length;
  const rest = x.torchShape.slice(list.length);
  const source = scatterSource(node, ctx, args['values'], 'values');
  return [
    writeMap(
      node,
      ctx,
      x,
      (put) => {
        for (let i = 0; i < count; i++) {
          const lead = indices.map((t, d) => position(node, t.data[i]!, x.torchShape[d]!, 'index'));
          forEachIndex(rest, (r) => put([...lead, ...r], source.ref([i, ...r]), accumulate));
        }
      },
      source.inputs,
      source.fills,
    ),
  ];
};

/** triu / tril(x, diagonal): elements above (below) the diagonal kept, the rest 0. */
const triangle =
  (upper: boolean): Converter =>
  (node, ctx) => {
    const args = node.bind(['input', 'diagonal=']);
    const x = firstInput(node, ctx);
    const diagonal = num(args['diagonal'], 'diagonal', 0);
    const n = x.torchShape.length;
    if (n < 2) throw new Unsupported(`${upper ? 'triu' : 'tril'} of a rank-${n} tensor (needs at least 2 axes)`);
    return [
      gatherByMap(
        node,
        ctx,
        [x],
        x.torchShape,
        (o) => {
          const offset = o[n - 1]! - o[n - 2]!;
          return (upper ? offset >= diagonal : offset <= diagonal) ? at(o) : { fill: 0 };
        },
        [0],
      ),
    ];
  };

const REPEAT = op(repeatOrTile);

export const FAMILY: OpFamily = {
  name: 'Data movement at static indices',
  layers: [],
  ops: {
    ...spellings(['Tensor.repeat', 'torch.tile', 'Tensor.tile'], REPEAT),
    ...spellings(['torch.repeat_interleave', 'Tensor.repeat_interleave'], op(repeatInterleave)),
    'torch.broadcast_tensors': op(broadcastTensors),
    'Tensor.copy_': op(copyInto),
    ...spellings(['F.unfold', 'Unfold'], op(im2col)),
    ...spellings(['F.fold', 'Fold'], op(col2im)),
    'Tensor.unfold': op(windows),
    ...spellings(['torch.gather', 'Tensor.gather'], op(gather)),
    'torch.take_along_dim': op(takeAlongDim),
    ...spellings(['torch.scatter', 'Tensor.scatter', 'Tensor.scatter_'], op(scatter(false))),
    ...spellings(['torch.scatter_add', 'Tensor.scatter_add', 'Tensor.scatter_add_'], op(scatter(true))),
    ...spellings(['torch.index_add', 'Tensor.index_add', 'Tensor.index_add_'], op(indexAdd)),
    ...spellings(['torch.index_put', 'Tensor.index_put', 'Tensor.index_put_'], op(indexPut)),
    ...spellings(['torch.triu', 'Tensor.triu'], op(triangle(true))),
    ...spellings(['torch.tril', 'Tensor.tril'], op(triangle(false))),
  },
};
