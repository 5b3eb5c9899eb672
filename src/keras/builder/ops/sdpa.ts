// F.scaled_dot_product_attention (timm's attention blocks, transformers' default attention on
// torch 2.x) spelled out the way PyTorch's math defines it: scores = q @ k^T * scale (+ the mask),
// softmax over the keys, @ v. Batched matrix products, one multiply, one add and a softmax: exact
// in float up to the order of the sums.
//
// Masks: a boolean attn_mask says which keys a query may attend to (True = attend; the OPPOSITE of
// nn.MultiheadAttention's masks), so False becomes -inf; a float mask is added as is; is_causal is
// the lower-triangular boolean mask (query i sees keys 0..i, top-left aligned as in PyTorch). A
// constant mask (folded from arange, a buffer) becomes one constant; a mask computed from the
// inputs is added per batch row.
//
// Grouped-query attention (enable_gqa=True: H query heads share H / G key/value heads, each key
// head serving G consecutive query heads) repeats no key or value: the query heads of one group
// are folded into the query axis ([.., H, L, E] -> [.., H / G, G * L, E], the same bytes), the
// products run per key/value head, and the scores are unfolded back to [.., H, L, S] for the mask.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { BatchMatMul, BroadcastTo, ConstantArithmetic, Select } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, samePerm } from '../layout.ts';
import { Unsupported, bool, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { input, nameFor } from './common.ts';

const SIGNATURE = ['query', 'key', 'value', 'attn_mask=', 'dropout_p=', 'is_causal=', 'scale=', 'enable_gqa='];

/** PyTorch's masked entries: softmax gives them weight exactly 0 (see MASKED in attention.ts). */
const MASKED = -Infinity;

interface Geometry {
  /** Rank of query, key and value. */
  readonly rank: number;
  /** Query tokens, key tokens, query/key features, value features. */
  readonly L: number;
  readonly S: number;
  readonly E: number;
  readonly Ev: number;
  /** The query's leading axes (batch, heads, ...). */
  readonly lead: readonly number[];
  /** Query heads per key/value head (1 without grouped-query attention). */
  readonly groups: number;
}

/** The attention's shapes, or the reason PyTorch's broadcasting rules here are not reproduced. */
function geometry(q: readonly number[], k: readonly number[], v: readonly number[], gqa: boolean): Geometry | string {
  const rank = q.length;
  if (rank < 3) return `query of rank ${rank}: attention needs a batch axis before the tokens and features ([batch, ..., tokens, features])`;
  if (k.length !== rank || v.length !== rank) return `query, key and value have ranks ${rank}, ${k.length} and ${v.length}; one rank is supported (broadcasting leading axes is not)`;
  const [L, E, S, Ev] = [q[rank - 2]!, q[rank - 1]!, k[rank - 2]!, v[rank - 1]!];
  if (k[rank - 1] !== E) return `key has ${k[rank - 1]} features, query ${E}`;
  if (v[rank - 2] !== S) return `value has ${v[rank - 2]} tokens, key ${S}`;
  const lead = q.slice(0, rank - 2);
  const [kLead, vLead] = [k.slice(0, rank - 2), v.slice(0, rank - 2)];
  if (kLead.join() !== vLead.join()) return `key and value leading axes [${kLead.join(', ')}] and [${vLead.join(', ')}] differ`;
  let groups = 1;
  if (gqa && rank >= 4 && kLead[rank - 3] !== lead[rank - 3]) {
    const [heads, kvHeads] = [lead[rank - 3]!, kLead[rank - 3]!];
    if (heads % kvHeads !== 0) return `enable_gqa with ${heads} query heads and ${kvHeads} key/value heads (the query heads must be a multiple)`;
    groups = heads / kvHeads;
  }
  const expected = groups === 1 ? lead : [...lead.slice(0, rank - 3), lead[rank - 3]! / groups];
  if (kLead.join() !== expected.join()) {
    return `query leading axes [${lead.join(', ')}] and key/value leading axes [${kLead.join(', ')}] differ; equal ones are supported${gqa ? ' (with enable_gqa, fewer key/value heads on axis -3)' : ' (for fewer key/value heads pass enable_gqa=True)'}`;
  }
  return { rank, L, S, E, Ev, lead, groups };
}

export function checkScaledDotProductAttention(node: OpNode, shapes: (value: string) => readonly number[] | undefined): string | undefined {
  let args: Record<string, GraphArg | undefined>;
  try {
    args = node.bind(SIGNATURE);
    const [q, k, v] = [args['query'], args['key'], args['value']];
    if (!isValueArg(q) || !isValueArg(k) || !isValueArg(v)) return 'query, key and value must be tensors computed from the inputs (a constant one: compute it outside the attention)';
    const dropout = num(args['dropout_p'], 'dropout_p', 0);
    if (dropout !== 0) return `dropout_p=${dropout} drops random attention weights on every call; pass dropout_p=0 at inference (e.g. dropout_p=self.p if self.training else 0.0)`;
    const causal = bool(args['is_causal'], 'is_causal', false);
    const mask = args['attn_mask'];
    const hasMask = mask !== undefined && !('const' in mask && mask.const === null);
    if (hasMask && !isValueArg(mask) && !isTensorConstant(mask)) return `attn_mask must be a tensor or None, got ${JSON.stringify(literal(mask, 'attn_mask'))}`;
    if (hasMask && causal) return 'attn_mask together with is_causal=True (PyTorch refuses it too): pass one of them';
    const scale = literal(args['scale'], 'scale');
    if (scale !== undefined && scale !== null && typeof scale !== 'number') return `scale must be a number or None, got ${JSON.stringify(scale)}`;
    const gqa = bool(args['enable_gqa'], 'enable_gqa', false);
    const [qs, ks, vs] = [shapes(q.value), shapes(k.value), shapes(v.value)];
    if (!qs || !ks || !vs) return undefined; // the builder reports values it does not know
    const g = geometry(qs, ks, vs, gqa);
    return typeof g === 'string' ? g : undefined;
  } catch (error) {
    if (error instanceof Unsupported) return error.message;
    throw error;
  }
}

export function scaledDotProductAttention(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(SIGNATURE);
  const [q, k, v] = (['query', 'key', 'value'] as const).map((role) => input(node, ctx, args[role], role));
  const g = geometry(q!.torchShape, k!.torchShape, v!.torchShape, bool(args['enable_gqa'], 'enable_gqa', false));
  if (typeof g === 'string') throw new Unsupported(g);
  const { rank, L, S, E, Ev, lead, groups } = g;
  const plain = identityPerm(rank);
  const scale = num(args['scale'], 'scale', 1 / Math.sqrt(E));
  // The key/value-head view of the query axes: [.., H / G, G * L] (the same as [.., H, L] without groups).
  const grouped = groups === 1 ? lead : [...lead.slice(0, rank - 3), lead[rank - 3]! / groups];
  const fold = (x: KValue, shape: readonly number[], suffix: string): KValue =>
    groups === 1 ? x : ctx.apply(tf.layers.reshape({ targetShape: shape.slice(1) as number[], name: nameFor(node, ctx, suffix) }), x, shape, { perm: plain });

  const query = fold(ctx.relayout(q!, plain, node, 'attention multiplies over the last two axes'), [...grouped, groups * L, E], '__fold_query_groups');
  const key = matrixOperand(node, ctx, k!);
  const products = ctx.apply(new BatchMatMul({ transposeB: !key.transposed, name: nameFor(node, ctx, '__scores') }), [query, key.value], [...grouped, groups * L, S], { perm: plain });
  let scores = ctx.apply(new ConstantArithmetic({ op: 'mul', scalar: scale, name: nameFor(node, ctx, '__scale') }), products, products.torchShape, products.layout);
  scores = fold(scores, [...lead, L, S], '__unfold_score_groups');
  scores = addMask(node, ctx, args, scores);
  const weights = ctx.apply(tf.layers.softmax({ axis: -1, name: nameFor(node, ctx, '__softmax') }), scores, scores.torchShape, scores.layout);
  const value = matrixOperand(node, ctx, v!);
  const context = ctx.apply(
    new BatchMatMul({ transposeB: value.transposed, name: nameFor(node, ctx, '__context') }),
    [fold(weights, [...grouped, groups * L, S], '__fold_weight_groups'), value.value],
    [...grouped, groups * L, Ev],
    { perm: plain },
  );
  return [fold(context, [...lead, L, Ev], '__unfold_output_groups')];
}

/**
 * A key or value as the right operand of a batched product: its leading axes in PyTorch's order
 * and its two matrix axes last, in either order (a Keras value holding them swapped is read
 * transposed: no Permute). Anything else is permuted to PyTorch's order first.
 */
function matrixOperand(node: OpNode, ctx: BuildContext, x: KValue): { value: KValue; transposed: boolean } {
  const rank = x.torchShape.length;
  const swapped = [...identityPerm(rank - 2), rank - 1, rank - 2];
  const held = ctx.plain(x, node);
  if (samePerm(held.layout.perm, swapped)) return { value: held, transposed: true };
  return { value: ctx.relayout(held, identityPerm(rank), node, 'attention multiplies over the last two axes'), transposed: false };
}

/** scores + the additive form of attn_mask / is_causal (scores unchanged without either). */
function addMask(node: OpNode, ctx: BuildContext, args: Record<string, GraphArg | undefined>, scores: KValue): KValue {
  const shape = scores.torchShape;
  const rank = shape.length;
  const [L, S] = [shape[rank - 2]!, shape[rank - 1]!];
  const arg = args['attn_mask'];
  let constant: Tensor | undefined;
  if (bool(args['is_causal'], 'is_causal', false)) {
    const data = new Float32Array(L * S);
    for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) data[i * S + j] = MASKED;
    constant = new Tensor('float32', [...new Array<number>(rank - 2).fill(1), L, S], data);
  } else if (isTensorConstant(arg)) {
    const tensor = ctx.tensorOf(arg) ?? node.fail(`attn_mask ${JSON.stringify(arg)} is not among the model's tensors`);
    constant = additiveConstant(tensor, shape);
  } else if (isValueArg(arg)) {
    return addComputedMask(node, ctx, arg, scores);
  }
  if (!constant) return scores;
  const layer = new ConstantArithmetic({ op: 'add', shape: [...constant.shape], name: nameFor(node, ctx, '__mask') });
  ctx.addTensor(layer.name, 'value', `<mask>.${layer.name}`, constant);
  return ctx.apply(layer, scores, shape, scores.layout);
}

/**
 * A constant attn_mask as the float32 tensor added to the scores: aligned to their rank (leading 1s),
 * bool False -> -inf and True -> 0, float as is; the batch axis collapsed to 1 (the converted model
 * takes any batch), which needs every batch row of the mask to be the same.
 */
export function additiveConstant(mask: Tensor, scores: readonly number[]): Tensor {
  const rank = scores.length;
  if (mask.shape.length > rank) throw new Unsupported(`attn_mask of rank ${mask.shape.length} for scores of rank ${rank}`);
  const aligned = [...new Array<number>(rank - mask.shape.length).fill(1), ...mask.shape];
  aligned.forEach((d, i) => {
    if (d !== 1 && d !== scores[i]) throw new Unsupported(`attn_mask of shape [${mask.shape.join(', ')}] does not broadcast to the scores [${scores.join(', ')}]`);
  });
  const values = mask.dtype === 'bool' ? Float32Array.from(mask.data as Uint8Array, (b) => (b ? 0 : MASKED)) : asInfinite(mask.toFloat32().data, aligned[rank - 1]!);
  const row = values.length / aligned[0]!;
  for (let b = 1; b < aligned[0]!; b++) {
    for (let i = 0; i < row; i++)
      if (!Object.is(values[b * row + i], values[i]))
        throw new Unsupported('a constant attn_mask that differs between batch rows (the converted mask is one constant for every row): compute it from the inputs, or make it the same for each row');
  }
  return new Tensor('float32', [1, ...aligned.slice(1)], values.slice(0, row));
}

/** Below this a mask entry is a stand-in for -inf (transformers fills with torch.finfo(dtype).min). */
const HUGE_NEGATIVE = -1e30;

/**
 * A float mask's stand-ins for -inf (torch.finfo(float32).min, -1e38...) made -inf, in every row that
 * keeps at least one key: there softmax gives those keys weight exactly 0 either way (exp of
 * anything below -1e30 is 0 in float32), and full int8 can tell the mask from the scores (a
 * calibrated range reaching -3.4e38 leaves the scores no int8 step; with -inf the ADD and softmax
 * stay float32). A row that masks every key is kept as is: PyTorch spreads its weight evenly there.
 */
function asInfinite(values: Float32Array, keys: number): Float32Array {
  const out = Float32Array.from(values);
  for (let start = 0; start < out.length; start += keys) {
    const row = out.subarray(start, start + keys);
    if (!row.some((x) => x > HUGE_NEGATIVE)) continue;
    for (let i = 0; i < keys; i++) if (row[i]! <= HUGE_NEGATIVE) row[i] = MASKED;
  }
  return out;
}

/** An attn_mask computed from the inputs: bool -> 0 / -inf (a Select), broadcast to the scores, added. */
function addComputedMask(node: OpNode, ctx: BuildContext, arg: { value: string }, scores: KValue): KValue {
  const shape = scores.torchShape;
  const rank = shape.length;
  const mask = ctx.plain(ctx.value(arg.value, node), node);
  if (mask.torchShape.length !== rank)
    throw new Unsupported(`attn_mask computed from the inputs has rank ${mask.torchShape.length}, the scores rank ${rank}: unsqueeze it to the scores' rank (its first axis must be the batch)`);
  if (mask.torchShape[0] !== shape[0] || mask.torchShape.some((d, i) => d !== 1 && d !== shape[i]))
    throw new Unsupported(`attn_mask of shape [${mask.torchShape.join(', ')}] does not broadcast to the scores [${shape.join(', ')}] along its non-batch axes`);
  // Filled before any relayout: Keras's Reshape and Permute would hand a bool tensor on as float32.
  const filled =
    ctx.graph.values[arg.value]?.dtype === 'bool' ? ctx.apply(new Select({ whenTrue: 0, whenFalse: MASKED, name: nameFor(node, ctx, '__mask_fill') }), mask, mask.torchShape, mask.layout) : mask;
  const additive = ctx.relayout(filled, identityPerm(rank), node, 'the mask is added to the [.., tokens, keys] scores');
  const full =
    additive.torchShape.join() === shape.join()
      ? additive
      : ctx.apply(new BroadcastTo({ shape: shape.slice(1) as number[], name: nameFor(node, ctx, '__mask_broadcast') }), additive, shape, scores.layout);
  return ctx.apply(tf.layers.add({ name: nameFor(node, ctx, '__mask') }), [scores, full], shape, scores.layout);
}
