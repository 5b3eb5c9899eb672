// Helpers shared by the op converters.
import type { BuildContext, KValue } from '../context.ts';
import { Unsupported, valueId, type OpNode } from '../op_node.ts';

/** What one graph node becomes: one Keras value per node output. */
export type Converter = (node: OpNode, ctx: BuildContext) => readonly KValue[];

/** The value a positional/keyword argument refers to. */
export function input(node: OpNode, ctx: BuildContext, arg: Parameters<typeof valueId>[0], what = 'input'): KValue {
  return ctx.value(valueId(arg, `${what}`), node);
}

/** The first argument (self / input) of a node. */
export const firstInput = (node: OpNode, ctx: BuildContext): KValue => input(node, ctx, node.node.args[0]);

/** The recorded PyTorch shape of output `i` of the node. */
export function outputShape(node: OpNode, ctx: BuildContext, i = 0): number[] {
  const id = node.node.outputs[i];
  const info = id === undefined ? undefined : ctx.graph.values[id];
  if (!info) throw new Unsupported(`output ${i} has no recorded shape`);
  return [...info.shape];
}

/** Layer name for a node's layer: the node name (module path for module nodes). */
export const nameFor = (node: OpNode, ctx: BuildContext, suffix = ''): string => ctx.layerName(`${node.name}${suffix}`);

/** The node's output is its input, unchanged (Dropout, Identity, contiguous). */
export const passThrough: Converter = (node, ctx) => [firstInput(node, ctx)];

/** tfjs's argument types want tuples; the builder's lists have the right length by construction. */
export const pair = (values: readonly number[]): [number, number] => [values[0]!, values[1]!];
