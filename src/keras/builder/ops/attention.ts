// nn.MultiheadAttention (batch_first, self-attention) spelled out as Keras layers the way
// PyTorch computes it: one Dense for the packed q/k/v projection (the module's in_proj_weight),
// the three slices, heads split by Reshape + Permute, q / sqrt(head_dim), q @ k^T, softmax,
// @ v, heads merged, and the out_proj Dense.
import * as tf from '@tensorflow/tfjs';
import { BatchMatMul, ConstantArithmetic, Reduce, Slice } from '../../layers/index.ts';
import { permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm } from '../layout.ts';
import { Unsupported, bool, isValueArg, literal, type OpNode } from '../op_node.ts';
import { nameFor, outputShape } from './common.ts';

const SIGNATURE = ['query', 'key', 'value', 'key_padding_mask=', 'need_weights=', 'attn_mask=', 'average_attn_weights='];

export function checkMultiheadAttention(node: OpNode): string | undefined {
  if (node.attrs['batch_first'] !== true) return 'batch_first=False puts the batch on axis 1; build the module with batch_first=True (Keras keeps the batch first)';
  let args: ReturnType<OpNode['bind']>;
  try {
    args = node.bind(SIGNATURE);
  } catch (error) {
    return (error as Error).message;
  }
  const [q, k, v] = [args['query'], args['key'], args['value']];
  if (!isValueArg(q) || !isValueArg(k) || !isValueArg(v) || q.value !== k.value || q.value !== v.value) return 'only self-attention (query, key and value the same tensor) is supported';
  for (const mask of ['key_padding_mask', 'attn_mask']) if (literal(args[mask], mask) !== undefined && literal(args[mask], mask) !== null) return `${mask} is not supported`;
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
  let x = ctx.plain(ctx.value((args['query'] as { value: string }).value, node), node);
  if (x.torchShape.length !== 3) throw new Unsupported(`attention over a rank-${x.torchShape.length} input (batch, tokens, features expected)`);
  x = ctx.relayout(x, identityPerm(3), node, 'attention projects the last axis');
  const [batch, tokens] = [x.torchShape[0]!, x.torchShape[1]!];
  const flat = identityPerm(3);
  const heads4 = identityPerm(4);

  const inProj = ctx.sharedLayer(module, (name) => tf.layers.dense({ units: 3 * embed, useBias, kernelInitializer: 'zeros', name }));
  ctx.fillFrom(inProj.name, 'kernel', `${module}.in_proj_weight`, permute(1, 0));
  if (useBias) ctx.fillFrom(inProj.name, 'bias', `${module}.in_proj_bias`);
  const packed = ctx.apply(inProj, x, [batch, tokens, 3 * embed], { perm: flat });

  // q, k, v: [B, T, E] -> [B, T, H, D] -> [B, H, T, D].
  const split = (k: number, part: string): KValue => {
    const slice = new Slice({ begin: [0, k * embed], size: [-1, embed], name: nameFor(node, ctx, `__${part}`) });
    const piece = ctx.apply(slice, packed, [batch, tokens, embed], { perm: flat });
    const shaped = ctx.apply(tf.layers.reshape({ targetShape: [tokens, heads, headDim], name: nameFor(node, ctx, `__${part}_heads`) }), piece, [batch, tokens, heads, headDim], { perm: heads4 });
    return headsPermute(node, ctx, shaped, `__${part}_transpose`, [batch, heads, tokens, headDim], 'attention splits the heads: [B, T, H, D] -> [B, H, T, D]');
  };
  const q = split(0, 'q');
  const k = split(1, 'k');
  const v = split(2, 'v');
  const scaled = ctx.apply(new ConstantArithmetic({ op: 'div', scalar: Math.sqrt(headDim), name: nameFor(node, ctx, '__scale') }), q, q.torchShape, q.layout);
  const scores = ctx.apply(new BatchMatMul({ transposeB: true, name: nameFor(node, ctx, '__scores') }), [scaled, k], [batch, heads, tokens, tokens], { perm: heads4 });
  const weights = ctx.apply(tf.layers.softmax({ axis: -1, name: nameFor(node, ctx, '__softmax') }), scores, scores.torchShape, scores.layout);
  const context = ctx.apply(new BatchMatMul({ name: nameFor(node, ctx, '__context') }), [weights, v], [batch, heads, tokens, headDim], { perm: heads4 });
  const merged = headsPermute(node, ctx, context, '__merge_transpose', [batch, tokens, heads, headDim], 'attention merges the heads: [B, H, T, D] -> [B, T, H, D]');
  const joined = ctx.apply(tf.layers.reshape({ targetShape: [tokens, embed], name: nameFor(node, ctx, '__merge_heads') }), merged, [batch, tokens, embed], { perm: flat });

  const outPath = `${module}.out_proj`;
  const outBias = ctx.graph.modules[outPath]?.parameters.includes('bias') ?? false;
  const outProj = ctx.sharedLayer(outPath, (name) => tf.layers.dense({ units: embed, useBias: outBias, kernelInitializer: 'zeros', name }));
  ctx.fillFrom(outProj.name, 'kernel', undefined, permute(1, 0));
  const output = ctx.apply(outProj, joined, outputShape(node, ctx, 0), { perm: flat });
  if (node.node.outputs.length === 1) return [output];
  // need_weights=True: the attention weights too, averaged over the heads unless told otherwise.
  if (!bool(args['average_attn_weights'], 'average_attn_weights', true)) return [output, weights];
  const averaged = ctx.apply(new Reduce({ op: 'mean', axes: [1], keepDims: false, name: nameFor(node, ctx, '__weights') }), weights, outputShape(node, ctx, 1), { perm: flat });
  return [output, averaged];
}

/** Swaps axes 1 and 2 of a rank-4 value (a Permute, recorded in the build report like every other). */
function headsPermute(node: OpNode, ctx: BuildContext, x: KValue, suffix: string, torchShape: number[], reason: string): KValue {
  const layer = tf.layers.permute({ dims: [2, 1, 3], name: nameFor(node, ctx, suffix) });
  ctx.permutes.push({ node: node.name, layer: layer.name, torchShape, from: [0, 2, 1, 3], to: identityPerm(4), reason });
  return ctx.apply(layer, x, torchShape, { perm: identityPerm(4) });
}
