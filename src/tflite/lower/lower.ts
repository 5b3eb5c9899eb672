// Keras model -> float IR: each layer call through its entry in the lowering table.
import type * as tf from '@tensorflow/tfjs';
import { LayerLoweringContext } from './context.ts';
import { activationLowering } from './activations.ts';
import { KerasLoweringError, LayerNotLowerable, type LoweringProblem } from './errors.ts';
import { IrGraph, type IrTensor } from '../ir/index.ts';
import { layerCalls, layerWeights } from './keras-graph.ts';
import type { LoweringSettings } from './context.ts';
import { findLowering } from './table.ts';

export interface LoweredModel {
  readonly graph: IrGraph;
  /** Every Keras layer in execution order, with its class. */
  readonly layers: ReadonlyArray<{ name: string; className: string }>;
  /** Bytes of the Keras model's weights (float32). */
  readonly kerasWeightBytes: number;
}

export function lowerKerasModel(model: tf.LayersModel, batchSize: number, settings: LoweringSettings): LoweredModel {
  const graph = new IrGraph();
  const problems: LoweringProblem[] = [];
  const valueOf = new Map<number, IrTensor>(); // SymbolicTensor id -> IR value
  const layers: Array<{ name: string; className: string }> = [];
  let kerasWeightBytes = 0;

  const resolveShape = (shape: readonly (number | null)[], where: { layer: string; className: string }): number[] | undefined => {
    const resolved = shape.map((d, i) => (d === null ? (i === 0 ? batchSize : -1) : d));
    if (resolved.some((d) => d < 0)) {
      problems.push({ ...where, problem: `has a dynamic dimension in [${shape.map((d) => d ?? '?').join(', ')}]: TFLite models here are static; give the Keras input a fixed shape` });
      return undefined;
    }
    return resolved;
  };

  for (const call of layerCalls(model)) {
    const where = { layer: call.layer.name, className: call.className };
    layers.push({ name: call.layer.name, className: call.className });
    for (const w of call.layer.weights) kerasWeightBytes += w.shape.reduce((a: number, b) => a * (b ?? 1), 1) * 4;
    if (call.className === 'InputLayer') {
      for (const output of call.outputs) {
        const shape = resolveShape(output.shape, where);
        if (!shape) continue;
        const dtype = output.dtype === 'int32' ? 'int32' : 'float32';
        if (output.dtype !== 'int32' && output.dtype !== 'float32') problems.push({ ...where, problem: `input dtype ${output.dtype} is not supported (float32 or int32)` });
        const value = graph.addValue({ name: call.layer.name, shape, dtype, layer: call.layer.name });
        graph.inputs.push(value.id);
        valueOf.set(output.id, value);
      }
      continue;
    }
    const inputs = call.inputs.map((input) => valueOf.get(input.id));
    if (inputs.some((input) => input === undefined)) continue; // an upstream layer failed; it is reported already
    const outputShapes = call.outputs.map((output) => resolveShape(output.shape, where));
    if (outputShapes.some((shape) => shape === undefined)) continue;
    const lowering = findLowering(call.className, call.layer, settings);
    if (!lowering) {
      const nested = (call.layer as unknown as { layers?: unknown }).layers !== undefined;
      problems.push({
        ...where,
        problem: nested
          ? 'is a nested model: build the Keras model flat (one functional graph of layers)'
          : `has no TFLite lowering: a torchport layer class lowers itself with a lower(ctx, settings) method (see docs/architecture.md)`,
      });
      continue;
    }
    const ctx = new LayerLoweringContext(
      graph,
      { name: call.layer.name, className: call.className, config: call.layer.getConfig() as Record<string, unknown> },
      inputs as IrTensor[],
      outputShapes as number[][],
      layerWeights(call.layer),
      activationLowering,
    );
    let result: IrTensor | IrTensor[];
    try {
      result = lowering(ctx);
    } catch (error) {
      if (error instanceof LayerNotLowerable) {
        problems.push({ ...where, problem: error.message });
        continue;
      }
      throw error;
    }
    const outputs = Array.isArray(result) ? result : [result];
    if (outputs.length !== call.outputs.length) {
      problems.push({ ...where, problem: `its lowering returned ${outputs.length} value(s) for ${call.outputs.length} Keras output(s)` });
      continue;
    }
    outputs.forEach((value, i) => {
      const expected = outputShapes[i]!;
      if (value.shape.join() !== expected.join()) {
        problems.push({ ...where, problem: `its lowering produced shape [${value.shape.join(', ')}] where Keras has [${expected.join(', ')}] (output ${i})` });
        return;
      }
      // A new value takes the layer's name; an identity (Dropout) passes its input through unchanged.
      if (!inputs.some((input) => input!.id === value.id)) {
        const irValue = graph.value(value.id);
        irValue.name = outputs.length === 1 ? call.layer.name : `${call.layer.name}:${i}`;
        irValue.layer = call.layer.name;
      }
      valueOf.set(call.outputs[i]!.id, value);
    });
  }
  if (problems.length > 0) throw new KerasLoweringError(problems);

  model.outputs.forEach((output, i) => {
    const value = valueOf.get(output.id)!;
    graph.outputs.push({ id: value.id, name: model.outputNames[i] ?? graph.value(value.id).name });
  });
  // Graph inputs in the model's input order. An input only read for its shape (x.expand_as(y)) is
  // on no path to an output, so the walk above never met it: it stays an input no operator reads.
  const order = model.inputs.map((input) => {
    const known = valueOf.get(input.id);
    if (known) return known.id;
    const where = { layer: input.sourceLayer.name, className: 'InputLayer' };
    const shape = resolveShape(input.shape, where) ?? input.shape.map((d) => d ?? 1);
    return graph.addValue({ name: input.sourceLayer.name, shape, dtype: input.dtype === 'int32' ? 'int32' : 'float32', layer: input.sourceLayer.name }).id;
  });
  graph.inputs.splice(0, graph.inputs.length, ...order);
  return { graph, layers, kerasWeightBytes };
}
