// Static data movement as one gather. With every shape static, any op that only moves, repeats,
// drops or zero-fills elements (repeat, tile, pixel_shuffle, im2col, gather/scatter at constant
// indices, advanced indexing, reflect padding, ...) is out.flatten()[i] = sources[map[i]]: the
// sources are the inputs flattened (batch axis included, in Keras's element order) and joined,
// plus fill constants; the map is computed at build time from the op's index arithmetic. An op
// whose outputs sum several elements (fold, scatter_add) gives several refs per element: one
// gather per ref, added. Layers: StaticReshape (RESHAPE), Concatenate, ConstantTensor, Gather
// (GATHER), Add; the model then runs at the traced batch size only.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor, sizeOf, stridesOf } from '../../../tensor/index.ts';
import { ConstantTensor, Gather } from '../../layers/index.ts';
import { reshapeWhole } from '../batch_axis.ts';
import type { BuildContext, KValue } from '../context.ts';
import { canonicalPerm, kerasShapeOf } from '../layout.ts';
import { KerasBuildError } from '../errors.ts';
import { Unsupported, type OpNode } from '../op_node.ts';
import { nameFor } from './common.ts';

/** Where one output element comes from: element `index` (a PyTorch multi-index) of input `input`, or fill constant `fill`. */
export type Ref = { readonly input: number; readonly index: readonly number[] } | { readonly fill: number };

/** Refs of one output element (PyTorch multi-index): one ref, or several to add (empty: 0). */
export type ElementMap = (out: readonly number[]) => Ref | readonly Ref[];

/** Output elements above this count are refused: the index constant would dwarf the model. */
const MAX_ELEMENTS = 1 << 22;

/** Calls `visit` with every multi-index of `shape` in C order. */
export function forEachIndex(shape: readonly number[], visit: (index: readonly number[]) => void): void {
  const total = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < total; n++) {
    visit(index);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
}

/** C-order flat position of a multi-index. */
export const flatOf = (shape: readonly number[], index: readonly number[]): number => index.reduce((acc, i, d) => acc * shape[d]! + i, 0);

/** The multi-index of C-order flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return index;
}

/** For each PyTorch flat position of a value, its position in Keras's element order. */
function kerasPositions(value: KValue): Int32Array {
  const { torchShape } = value;
  const { perm } = value.layout;
  const kerasShape = kerasShapeOf(torchShape, perm);
  const kerasStrides = stridesOf(kerasShape);
  // PyTorch axis perm[i] moves with Keras stride kerasStrides[i].
  const strideOfTorchAxis = new Array<number>(torchShape.length);
  perm.forEach((axis, i) => (strideOfTorchAxis[axis] = kerasStrides[i]!));
  const out = new Int32Array(sizeOf(torchShape));
  let n = 0;
  forEachIndex(torchShape, (index) => (out[n++] = index.reduce((acc, i, d) => acc + i * strideOfTorchAxis[d]!, 0)));
  return out;
}

/**
 * The value of PyTorch shape `outShape` whose element at multi-index o is `map(o)` (summed when
 * several refs), built from `inputs` (any layouts) and `fills` (constants refs point at).
 */
export function gatherByMap(node: OpNode, ctx: BuildContext, inputs: readonly KValue[], outShape: readonly number[], map: ElementMap, fills: readonly number[] = []): KValue {
  if (inputs.length === 0) throw new Unsupported('moves no computed tensor (only constants)');
  if (outShape.length === 0) throw new Unsupported('produces a 0-d tensor (a single element): not supported by this conversion');
  const total = sizeOf(outShape);
  if (total > MAX_ELEMENTS) throw new Unsupported(`moves ${total} elements through a constant index map (at most ${MAX_ELEMENTS}): use a smaller input`);
  const plain = inputs.map((value) => ctx.plain(value, node));
  const positions = plain.map(kerasPositions);
  const offsets: number[] = [];
  let offset = 0;
  for (const p of positions) {
    offsets.push(offset);
    offset += p.length;
  }
  const fillBase = offset;

  const perm = canonicalPerm(outShape.length);
  const kerasOut = kerasShapeOf(outShape, perm);
  const refsPerElement: number[][] = [];
  let layers = 1;
  // Output elements in Keras order: Keras multi-index k holds PyTorch index t with t[perm[i]] = k[i].
  const torchIndex = new Array<number>(outShape.length);
  forEachIndex(kerasOut, (k) => {
    perm.forEach((axis, i) => (torchIndex[axis] = k[i]!));
    const mapped = map(torchIndex);
    const refs = (Array.isArray(mapped) ? mapped : [mapped]) as readonly Ref[];
    const flat = refs.map((ref) => {
      if ('fill' in ref) {
        if (ref.fill < 0 || ref.fill >= fills.length) throw new KerasBuildError(`internal: ${node.where} refers to fill ${ref.fill} of ${fills.length}`);
        return fillBase + ref.fill;
      }
      const source = plain[ref.input]!;
      if (ref.index.length !== source.torchShape.length || ref.index.some((i, d) => i < 0 || i >= source.torchShape[d]!)) {
        node.fail(`index [${ref.index.join(', ')}] is outside input ${ref.input} of shape [${source.torchShape.join(', ')}]`);
      }
      return offsets[ref.input]! + positions[ref.input]![flatOf(source.torchShape, ref.index)]!;
    });
    layers = Math.max(layers, flat.length);
    refsPerElement.push(flat);
  });

  // A sum of no refs is 0: give it a zero fill.
  const allFills = [...fills];
  const needsZero = refsPerElement.some((refs) => refs.length < layers);
  const zero = needsZero ? fillBase + allFills.push(0) - 1 : -1;

  const flatInputs = plain.map((value, i) => reshapeWhole(ctx, value, [1, positions[i]!.length], [1, positions[i]!.length], [0, 1], `${node.name}__flat${i}`));
  const parts = [...flatInputs];
  if (allFills.length > 0) {
    const layer = new ConstantTensor({ shape: [allFills.length], name: nameFor(node, ctx, '__fills') });
    ctx.addTensor(layer.name, 'value', `${layer.name}:fills`, new Tensor('float32', [1, allFills.length], Float32Array.from(allFills)));
    parts.push(ctx.apply(layer, flatInputs[0]!, [1, allFills.length], { perm: [0, 1] }));
  }
  const width = fillBase + allFills.length;
  const joined = parts.length === 1 ? parts[0]! : ctx.apply(tf.layers.concatenate({ axis: 1, name: nameFor(node, ctx, '__sources') }), parts, [1, width], { perm: [0, 1] });

  const gathered: KValue[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const indices = refsPerElement.map((refs) => refs[layer] ?? zero);
    const identity = indices.length === width && indices.every((i, n) => i === n);
    gathered.push(identity ? joined : ctx.apply(new Gather({ axis: 1, indices, name: nameFor(node, ctx, `__gather${layer === 0 ? '' : layer}`) }), joined, [1, total], { perm: [0, 1] }));
  }
  const summed = gathered.length === 1 ? gathered[0]! : ctx.apply(tf.layers.add({ name: nameFor(node, ctx, '__sum') }), gathered, [1, total], { perm: [0, 1] });
  return reshapeWhole(ctx, summed, kerasOut, outShape, perm, node.name);
}

/** Broadcasts multi-index `out` (of the broadcast shape) onto a tensor of shape `shape` (PyTorch's rules: trailing axes align, size-1 axes repeat). */
export function broadcastIndex(out: readonly number[], shape: readonly number[]): number[] {
  const extra = out.length - shape.length;
  return shape.map((size, d) => (size === 1 ? 0 : out[d + extra]!));
}
