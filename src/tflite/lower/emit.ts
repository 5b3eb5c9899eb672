// The float IR -> TfliteModel for the float-activation variants: fp32, fp16 (float16 constants +
// DEQUANTIZE) and dynamic-range int8 (int8 weights read by hybrid kernels).
import { DEFAULT_SIGNATURE_KEY, TfliteGraphBuilder, type TfliteModel, type TfliteSubgraph } from '../index.ts';
import { DYNAMIC_RANGE_WEIGHTS, storedAsFloat16, symmetricInt8, type FloatVariant } from '../quantize/index.ts';
import type { IrGraph, IrOp } from '../ir/index.ts';

export interface FloatEmitOptions {
  /** Expose every operator output as a graph output (calibration). */
  readonly exposeAll?: boolean;
  /** dynamic-int8: also give DEPTHWISE_CONV_2D int8 weights (per channel on dimension 3). */
  readonly hybridDepthwise?: boolean;
}

export interface EmittedModel {
  readonly model: TfliteModel;
  /** IR value id of each graph output, in order. */
  readonly outputIds: readonly number[];
}

export function emitFloat(graph: IrGraph, variant: FloatVariant, options: FloatEmitOptions = {}): EmittedModel {
  const subgraphs: TfliteSubgraph[] = [];
  const { g, tensorOf, exposed } = emitGraph(graph, variant, options, subgraphs);
  const outputIds = options.exposeAll ? exposed : graph.outputs.map((o) => o.id);
  g.output(...outputIds.map((id) => tensorOf.get(id)!));
  const model = g.build(`torchport ${variant}`);
  if (subgraphs.length > 0) model.subgraphs = subgraphs;
  const names = options.exposeAll ? uniqueNames(outputIds.map((id) => graph.value(id).name)) : graph.outputs.map((o) => o.name);
  model.signature = {
    key: DEFAULT_SIGNATURE_KEY,
    inputs: graph.inputs.map((id) => ({ name: graph.value(id).name, tensor: tensorOf.get(id)! })),
    outputs: outputIds.map((id, i) => ({ name: names[i]!, tensor: tensorOf.get(id)! })),
  };
  return { model, outputIds };
}

/**
 * Signature names must be unique (LiteRT looks outputs up by name: a repeated one is "not found").
 * Values of a layer applied twice (a module called twice) share the layer's name: later ones get
 * a `:<k>` suffix.
 */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    return count === 0 ? name : `${name}:${count}`;
  });
}

/**
 * Writes a WHILE's condition and body as subgraphs (appended to `subgraphs`, which become the
 * model's subgraphs 1, 2, ...) and returns the operator's options pointing at them. The loop
 * graphs get the same constant treatment as the main graph of `variant`.
 */
export function emitLoopSubgraphs(op: IrOp, variant: FloatVariant, subgraphs: TfliteSubgraph[], options: FloatEmitOptions = {}): { condSubgraphIndex: number; bodySubgraphIndex: number } {
  if (!op.loop) throw new RangeError(`${op.op} (layer '${op.layer}') has no loop graphs`);
  const write = (graph: IrGraph, role: string): number => {
    const { g, tensorOf } = emitGraph(graph, variant, { ...options, exposeAll: false }, subgraphs);
    g.output(...graph.outputs.map(({ id }) => tensorOf.get(id)!));
    subgraphs.push(g.buildSubgraph(`${op.loop!.name}_${role}`));
    return subgraphs.length; // the main graph is subgraph 0
  };
  const condSubgraphIndex = write(op.loop.cond, 'cond');
  const bodySubgraphIndex = write(op.loop.body, 'body');
  return { condSubgraphIndex, bodySubgraphIndex };
}

function emitGraph(graph: IrGraph, variant: FloatVariant, options: FloatEmitOptions, subgraphs: TfliteSubgraph[]): { g: TfliteGraphBuilder; tensorOf: Map<number, number>; exposed: number[] } {
  const g = new TfliteGraphBuilder();
  const tensorOf = new Map<number, number>();
  for (const id of graph.inputs) {
    const value = graph.value(id);
    tensorOf.set(id, g.input(value.name, value.dtype, value.shape));
  }

  const constant = (id: number, op: IrOp, input: number): number => {
    const value = graph.value(id);
    const data = value.data!;
    const weights = op.op === 'DEPTHWISE_CONV_2D' && options.hybridDepthwise ? { input: 1, axis: 3 } : DYNAMIC_RANGE_WEIGHTS[op.op];
    if (variant === 'dynamic-int8' && weights?.input === input && data.dtype === 'float32') {
      const key = -1 - id; // int8 form cached apart from a float use of the same constant
      const cached = tensorOf.get(key);
      if (cached !== undefined) return cached;
      const { tensor, quantization } = symmetricInt8(data, weights.axis);
      const index = g.constant(value.name, tensor, quantization);
      tensorOf.set(key, index);
      return index;
    }
    const cached = tensorOf.get(id);
    if (cached !== undefined) return cached;
    let index: number;
    if (variant === 'fp16' && storedAsFloat16(op.op, input, data)) {
      const half = g.constant(`${value.name}_fp16`, data.toFloat16());
      index = g.activation(value.name, 'float32', value.shape);
      g.op('DEQUANTIZE', [half], [index]);
    } else {
      index = g.constant(value.name, data);
    }
    tensorOf.set(id, index);
    return index;
  };

  const exposed: number[] = [];
  for (const op of graph.ops) {
    const inputs = op.inputs.map((id, k) => {
      if (id < 0) return -1;
      if (graph.isConstant(id)) return constant(id, op, k);
      const index = tensorOf.get(id);
      if (index === undefined) throw new RangeError(`IR value ${id} "${graph.value(id).name}" is read by ${op.op} (layer '${op.layer}') before it is produced`);
      return index;
    });
    const outputs = op.outputs.map((id) => {
      const value = graph.value(id);
      const index = g.activation(value.name, value.dtype, value.shape);
      tensorOf.set(id, index);
      if (options.exposeAll && value.dtype === 'float32') exposed.push(id); // calibration reads float ranges only
      return index;
    });
    const loopOptions = op.loop ? emitLoopSubgraphs(op, variant, subgraphs, options) : undefined;
    g.op(op.op, inputs, outputs, (loopOptions ?? op.options) as never);
  }
  return { g, tensorOf, exposed };
}
