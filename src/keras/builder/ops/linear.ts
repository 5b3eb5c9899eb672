// Linear -> Dense on the last Keras axis. After a flatten of a channels-last map, Keras's features
// come in NHWC order; the kernel rows are reordered to match (told to the weight transfer), so no
// transpose runs at inference.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import type { OpNode } from '../op_node.ts';
import { firstInput, outputShape } from './common.ts';
import { op, type OpFamily } from '../family.ts';

export function linear(node: OpNode, ctx: BuildContext): KValue[] {
  const module = node.node.module!;
  const units = node.attrNumber('out_features');
  const useBias = ctx.graph.modules[module]?.parameters.includes('bias') ?? false;
  const out = outputShape(node, ctx);
  const layer = ctx.sharedLayer(module, (name) => tf.layers.dense({ units, useBias, kernelInitializer: 'zeros', name }));
  let x = firstInput(node, ctx);
  const { source, perm } = x.layout;
  if (source !== undefined) {
    ctx.fillFrom(layer.name, 'kernel', undefined, { kind: 'permutedRows', source: source.slice(1), perm: perm.slice(1).map((axis) => axis - 1) });
    return [ctx.apply(layer, x, out, { perm: [0, 1] })];
  }
  const last = x.torchShape.length - 1;
  if (perm[last] !== last) x = ctx.relayout(x, [...perm.filter((a) => a !== last), last], node, 'Linear acts on the last axis');
  ctx.fillFrom(layer.name, 'kernel', undefined, permute(1, 0));
  return [ctx.apply(layer, x, out, x.layout)];
}

/** Embedding: a table lookup of token ids (the Keras layer casts its float input to int32). */
export function embedding(node: OpNode, ctx: BuildContext): KValue[] {
  const x = ctx.plain(firstInput(node, ctx), node);
  const layer = ctx.sharedLayer(node.node.module!, (name) =>
    tf.layers.embedding({ inputDim: node.attrNumber('num_embeddings'), outputDim: node.attrNumber('embedding_dim'), embeddingsInitializer: 'zeros', name }),
  );
  const out = outputShape(node, ctx);
  return [ctx.apply(layer, x, out, { perm: [...x.layout.perm, out.length - 1] })];
}

export function checkEmbedding(node: OpNode): string | undefined {
  if (node.attrs['max_norm'] !== null && node.attrs['max_norm'] !== undefined) return 'max_norm renormalizes the table at lookup; there is no Keras equivalent';
  return undefined;
}

export const FAMILY: OpFamily = {
  name: 'Linear and embedding',
  layers: [],
  ops: {
    Linear: op(linear),
    Embedding: op(embedding, checkEmbedding),
  },
};
