// nn.MultiheadAttention spelled out as Keras layers the way PyTorch computes it: for self-attention
// one Dense for the packed q/k/v projection (the module's in_proj_weight) and the three slices, for
// cross-attention one Dense per projection over its rows of in_proj_weight; heads
// split by Reshape + Permute, q / sqrt(head_dim), q @ k^T, + the constant masks, softmax, @ v,
// heads merged, and the out_proj Dense. With batch_first=False the [T, B, E] input is held by
// Keras as [B, T, E] (layout [1, 0, 2], from the x.transpose(0, 1) before it), and so is the output.
// Constant masks (a parameter or buffer, or a folded constant) become one additive [1, 1, T, S]
// constant the way PyTorch merges them: a boolean True (masked) is -inf, a float mask is added
// as is (see MASKED). A key_padding_mask computed from the inputs is
// added per batch row (addComputedPadding).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { BatchMatMul, BroadcastTo, ConstantArithmetic, Reduce, Select, Slice } from '../../layers/index.ts';
import { permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm } from '../layout.ts';
import { Unsupported, bool, isTensorConstant, isValueArg, literal, type OpNode } from '../op_node.ts';
import { nameFor, outputShape } from './common.ts';
import { op, type OpFamily } from '../family.ts';
import { checkScaledDotProductAttention, scaledDotProductAttention } from './sdpa.ts';

// is_causal (torch 2.x, passed by nn.TransformerEncoderLayer) is only a hint that attn_mask is the
// causal mask (PyTorch refuses it without one): the mask itself is what converts.
const SIGNATURE = ['query', 'key', 'value', 'key_padding_mask=', 'need_weights=', 'attn_mask=', 'average_attn_weights=', 'is_causal='];

export function checkMultiheadAttention(node: OpNode): string | undefined {
  let args: ReturnType<OpNode['bind']>;
  try {
    args = node.bind(SIGNATURE);
  } catch (error) {
    return (error as Error).message;
  }
  const [q, k, v] = [args['query'], args['key'], args['value']];
  if (!isValueArg(q) || !isValueArg(k) || !isValueArg(v)) return 'query, key and value must be computed tensors';
  for (const mask of ['key_padding_mask', 'attn_mask']) {
    const arg = args[mask];
    if (arg === undefined || isTensorConstant(arg) || (isValueArg(arg) && mask === 'key_padding_mask')) continue;
    if (isValueArg(arg)) return `${mask} computed from the inputs is not supported (a constant one is: a buffer, parameter or folded constant; key_padding_mask may be computed)`;
    if (literal(arg, mask) !== null) return `${mask} must be a tensor or None`;
  }
  if (node.attrs['add_zero_attn'] === true) return 'add_zero_attn=True is not supported';
  return undefined;
}

export function multiheadAttention(node: OpNode, ctx: BuildContext): KValue[] {
  const module = node.node.module!;
  const info = ctx.graph.modules[module]!;
  if (!info.parameters.includes('in_proj_weight')) throw new Unsupported('separate q/k/v projection weights (kdim/vdim != embed_dim) are not supported');
  if (info.parameters.includes('bias_k')) throw new Unsupported('add_bias_kv=True is not supported');
  const args = node.bind(SIGNATURE);
  const embed = node.attrNumber('embed_dim');
  const heads = node.attrNumber('num_heads');
  const headDim = embed / heads;
  const useBias = info.parameters.includes('in_proj_bias');
  const batchFirst = node.attrs['batch_first'] === true;
  // Keras holds [B, T, E] either way: PyTorch's own order, or [T, B, E] in layout [1, 0, 2].
  const outerPerm = batchFirst ? identityPerm(3) : [1, 0, 2];
  const operand = (role: 'query' | 'key' | 'value'): KValue => {
    const x = ctx.plain(ctx.value((args[role] as { value: string }).value, node), node);
    if (x.torchShape.length !== 3) throw new Unsupported(`attention over a rank-${x.torchShape.length} ${role} (${batchFirst ? 'batch, tokens' : 'tokens, batch'}, features expected)`);
    if (x.layout.perm[0] !== outerPerm[0]) {
      throw new Unsupported(
        batchFirst
          ? `the batch-first ${role} has its batch on another axis`
          : 'batch_first=False needs the sequence-first input made by a transpose of a batch-first value (x.transpose(0, 1)): Keras keeps the batch on its first axis',
      );
    }
    return ctx.relayout(x, outerPerm, node, 'attention projects the last axis');
  };
  const ids = (['query', 'key', 'value'] as const).map((role) => (args[role] as { value: string }).value);
  const x = operand('query');
  const tokensOf = (value: KValue) => (batchFirst ? value.torchShape[1]! : value.torchShape[0]!);
  const [batch, tokens] = [batchFirst ? x.torchShape[0]! : x.torchShape[1]!, tokensOf(x)];
  const flat = identityPerm(3);
  const heads4 = identityPerm(4);

  // q, k, v: [B, T, E] -> [B, T, H, D] -> [B, H, T, D].
  const toHeads = (piece: KValue, part: string): KValue => {
    const count = piece.torchShape[1]!;
    const shaped = ctx.apply(tf.layers.reshape({ targetShape: [count, heads, headDim], name: nameFor(node, ctx, `__${part}_heads`) }), piece, [batch, count, heads, headDim], { perm: heads4 });
    return headsPermute(node, ctx, shaped, `__${part}_transpose`, [batch, heads, count, headDim], 'attention splits the heads: [B, T, H, D] -> [B, H, T, D]');
  };
  let q: KValue;
  let k: KValue;
  let v: KValue;
  if (ids[0] === ids[1] && ids[1] === ids[2]) {
    // Self-attention: one Dense for the packed projection (the module's in_proj_weight), sliced.
    const inProj = ctx.sharedLayer(module, (name) => tf.layers.dense({ units: 3 * embed, useBias, kernelInitializer: 'zeros', name }));
    ctx.fillFrom(inProj.name, 'kernel', `${module}.in_proj_weight`, permute(1, 0));
    if (useBias) ctx.fillFrom(inProj.name, 'bias', `${module}.in_proj_bias`);
    const packed = ctx.apply(inProj, x, [batch, tokens, 3 * embed], { perm: flat });
    const slice = (part: number, name: string) =>
      ctx.apply(new Slice({ begin: [0, part * embed], size: [-1, embed], name: nameFor(node, ctx, `__${name}`) }), packed, [batch, tokens, embed], { perm: flat });
    [q, k, v] = (['q', 'k', 'v'] as const).map((name, part) => toHeads(slice(part, name), name)) as [KValue, KValue, KValue];
  } else {
    // Cross-attention: each of query, key and value gets its own Dense over its rows of
    // in_proj_weight (no wasted columns), filled by the builder from the packed tensor.
    const weight = ctx.tensorOf({ param: `${module}.in_proj_weight` }) ?? node.fail(`${module}.in_proj_weight is not in the state dict`);
    const bias = useBias ? (ctx.tensorOf({ param: `${module}.in_proj_bias` }) ?? node.fail(`${module}.in_proj_bias is not in the state dict`)) : undefined;
    const project = (role: 'query' | 'key' | 'value', part: number, name: string): KValue => {
      const input = role === 'query' ? x : operand(role);
      const layer = tf.layers.dense({ units: embed, useBias, kernelInitializer: 'zeros', name: nameFor(node, ctx, `__${name}_proj`) });
      const rows = weight.toFloat32().data.slice(part * embed * embed, (part + 1) * embed * embed);
      // PyTorch's [out, in] rows: the Dense transfer rule transposes them like any Linear weight.
      ctx.addTensor(layer.name, 'kernel', `<attention>.${layer.name}.kernel`, new Tensor('float32', [embed, embed], rows));
      if (bias) ctx.addTensor(layer.name, 'bias', `<attention>.${layer.name}.bias`, new Tensor('float32', [embed], bias.toFloat32().data.slice(part * embed, (part + 1) * embed)));
      const count = tokensOf(input);
      return toHeads(ctx.apply(layer, input, [batch, count, embed], { perm: flat }), name);
    };
    q = project('query', 0, 'q');
    k = project('key', 1, 'k');
    v = project('value', 2, 'v');
    if (k.torchShape[2] !== v.torchShape[2]) throw new Unsupported(`key and value have ${k.torchShape[2]} and ${v.torchShape[2]} tokens`);
  }
  const keyTokens = k.torchShape[2]!;
  const scaled = ctx.apply(new ConstantArithmetic({ op: 'div', scalar: Math.sqrt(headDim), name: nameFor(node, ctx, '__scale') }), q, q.torchShape, q.layout);
  let scores = ctx.apply(new BatchMatMul({ transposeB: true, name: nameFor(node, ctx, '__scores') }), [scaled, k], [batch, heads, tokens, keyTokens], { perm: heads4 });
  const mask = additiveMask(node, ctx, args, batch, tokens, keyTokens);
  if (mask) {
    const layer = new ConstantArithmetic({ op: 'add', shape: [1, 1, tokens, keyTokens], name: nameFor(node, ctx, '__mask') });
    ctx.addTensor(layer.name, 'value', `<mask>.${layer.name}`, mask);
    scores = ctx.apply(layer, scores, scores.torchShape, scores.layout);
  }
  const padding = args['key_padding_mask'];
  if (isValueArg(padding)) scores = addComputedPadding(node, ctx, padding, scores, batch, keyTokens);
  const weights = ctx.apply(tf.layers.softmax({ axis: -1, name: nameFor(node, ctx, '__softmax') }), scores, scores.torchShape, scores.layout);
  const context = ctx.apply(new BatchMatMul({ name: nameFor(node, ctx, '__context') }), [weights, v], [batch, heads, tokens, headDim], { perm: heads4 });
  const merged = headsPermute(node, ctx, context, '__merge_transpose', [batch, tokens, heads, headDim], 'attention merges the heads: [B, H, T, D] -> [B, T, H, D]');
  const joined = ctx.apply(tf.layers.reshape({ targetShape: [tokens, embed], name: nameFor(node, ctx, '__merge_heads') }), merged, [batch, tokens, embed], { perm: flat });

  const outPath = `${module}.out_proj`;
  const outBias = ctx.graph.modules[outPath]?.parameters.includes('bias') ?? false;
  const outProj = ctx.sharedLayer(outPath, (name) => tf.layers.dense({ units: embed, useBias: outBias, kernelInitializer: 'zeros', name }));
  ctx.fillFrom(outProj.name, 'kernel', undefined, permute(1, 0));
  const output = ctx.apply(outProj, joined, outputShape(node, ctx, 0), { perm: outerPerm });
  if (node.node.outputs.length === 1) return [output];
  // need_weights=True: the attention weights too, averaged over the heads unless told otherwise.
  if (!bool(args['average_attn_weights'], 'average_attn_weights', true)) return [output, weights];
  const averaged = ctx.apply(new Reduce({ op: 'mean', axes: [1], keepDims: false, name: nameFor(node, ctx, '__weights') }), weights, outputShape(node, ctx, 1), { perm: flat });
  return [output, averaged];
}

/**
 * A key_padding_mask computed from the inputs ([B, S]: bool, True = ignore that key; or float,
 * added): MASKED where True, 0 elsewhere (a Select), reshaped to [B, 1, 1, S] and added to the
 * [B, H, T, S] scores, one row per batch element.
 */
function addComputedPadding(node: OpNode, ctx: BuildContext, arg: { value: string }, scores: KValue, batch: number, tokens: number): KValue {
  const padding = ctx.plain(ctx.value(arg.value, node), node);
  if (padding.torchShape.join() !== [batch, tokens].join() || padding.layout.perm[0] !== 0)
    throw new Unsupported(`key_padding_mask of shape [${padding.torchShape.join(', ')}]; [${batch}, ${tokens}] (batch first) expected`);
  const isBool = ctx.graph.values[arg.value]?.dtype === 'bool';
  const additive = isBool ? ctx.apply(new Select({ whenTrue: MASKED, whenFalse: 0, name: nameFor(node, ctx, '__padding') }), padding, padding.torchShape, padding.layout) : padding;
  const perKey = ctx.apply(tf.layers.reshape({ targetShape: [1, 1, tokens], name: nameFor(node, ctx, '__padding_keys') }), additive, [batch, 1, 1, tokens], { perm: identityPerm(4) });
  const spread = ctx.apply(new BroadcastTo({ shape: scores.torchShape.slice(1), name: nameFor(node, ctx, '__padding_broadcast') }), perKey, scores.torchShape, scores.layout);
  return ctx.apply(tf.layers.add({ name: nameFor(node, ctx, '__padding_add') }), [scores, spread], scores.torchShape, scores.layout);
}

/** Swaps axes 1 and 2 of a rank-4 value (a Permute, recorded in the build report like every other). */
function headsPermute(node: OpNode, ctx: BuildContext, x: KValue, suffix: string, torchShape: number[], reason: string): KValue {
  const layer = tf.layers.permute({ dims: [2, 1, 3], name: nameFor(node, ctx, suffix) });
  ctx.permutes.push({ node: node.name, layer: layer.name, torchShape, from: [0, 2, 1, 3], to: identityPerm(4), reason });
  return ctx.apply(layer, x, torchShape, { perm: identityPerm(4) });
}

/**
 * PyTorch's -inf mask entries, kept -inf: softmax gives them weight exactly 0, a row that masks
 * every key is NaN as in PyTorch, and full int8 keeps the mask ADD and the softmax in float32
 * (calibration sees the infinities; int8 has none). A finite stand-in (-1e4) would let int8
 * quantize the masked logits onto a range of ~1e4, wiping out the unmasked ones (measured: 52
 * output steps on trap_seq_first_attention). Float masks are added as given.
 */
const MASKED = -Infinity;

/**
 * attn_mask ([T, S]) and key_padding_mask ([B, S]) merged into one additive [1, 1, T, S] float32
 * tensor, or undefined without masks. A key_padding_mask must be the same for every batch row.
 */
function additiveMask(node: OpNode, ctx: BuildContext, args: Record<string, GraphArg | undefined>, batch: number, tokens: number, keyTokens: number): Tensor | undefined {
  const read = (name: string): { values: Float32Array | Uint8Array; bool: boolean; shape: readonly number[] } | undefined => {
    const arg = args[name];
    if (!isTensorConstant(arg)) return undefined;
    const tensor = ctx.tensorOf(arg);
    if (!tensor) return node.fail(`${name} ${JSON.stringify(arg)} is not among the model's tensors`);
    if (tensor.dtype === 'bool') return { values: tensor.data as Uint8Array, bool: true, shape: tensor.shape };
    return { values: tensor.toFloat32().data, bool: false, shape: tensor.shape };
  };
  const attn = read('attn_mask');
  const padding = read('key_padding_mask');
  if (!attn && !padding) return undefined;
  const out = new Float32Array(tokens * keyTokens);
  const entry = (m: { values: Float32Array | Uint8Array; bool: boolean }, i: number): number => (m.bool ? (m.values[i] ? MASKED : 0) : m.values[i]!);
  if (attn) {
    if (attn.shape.length !== 2 || attn.shape[0] !== tokens || attn.shape[1] !== keyTokens)
      throw new Unsupported(`attn_mask of shape [${attn.shape.join(', ')}]; only [${tokens}, ${keyTokens}] (the same for every batch row and head) is supported`);
    for (let i = 0; i < out.length; i++) out[i] = entry(attn, i);
  }
  if (padding) {
    if (padding.shape.length !== 2 || padding.shape[0] !== batch || padding.shape[1] !== keyTokens)
      throw new Unsupported(`key_padding_mask of shape [${padding.shape.join(', ')}]; [${batch}, ${keyTokens}] expected`);
    for (let b = 1; b < batch; b++) {
      for (let s = 0; s < keyTokens; s++)
        if (entry(padding, b * keyTokens + s) !== entry(padding, s)) throw new Unsupported('a key_padding_mask that differs between batch rows (the converted mask is one constant for all rows)');
    }
    for (let t = 0; t < tokens; t++) for (let s = 0; s < keyTokens; s++) out[t * keyTokens + s] = out[t * keyTokens + s]! + entry(padding, s);
  }
  return new Tensor('float32', [1, 1, tokens, keyTokens], out);
}

export const FAMILY: OpFamily = {
  name: 'Attention',
  layers: [BatchMatMul, BroadcastTo, ConstantArithmetic, Reduce, Select, Slice],
  ops: {
    MultiheadAttention: op(multiheadAttention, checkMultiheadAttention),
    'F.scaled_dot_product_attention': op(scaledDotProductAttention, checkScaledDotProductAttention),
    // Grouped-query attention's key/value heads repeated for their query heads (any non-batch axis converts).
  },
};
