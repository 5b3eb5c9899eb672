// The float IR -> a full-integer TfliteModel: int8 activations with calibrated per-tensor
// asymmetric parameters, symmetric int8 weights (per channel for convolutions), int32 biases,
// QUANTIZE/DEQUANTIZE at float graph inputs/outputs unless int8 I/O is asked for. An operator
// without an int8 rule, or of a layer the caller keeps in float (`keepFloat`, the usual rescue of
// a model full int8 breaks, e.g. attention), runs in float32 between a DEQUANTIZE and a QUANTIZE,
// and is reported. Consecutive float operators pass float32 tensors to each other directly: a
// QUANTIZE is written only where an int8 operator (or an int8 graph output) reads a float result.
import { DEFAULT_SIGNATURE_KEY, TfliteGraphBuilder, type Quantization, type TfliteModel, type TfliteSubgraph } from '../index.ts';
import type { IrGraph, IrOp } from '../ir/index.ts';
import { QuantizationError } from './errors.ts';
import { asymmetricInt8, int32Bias, quantizeWith, rangeOf, sameQuantization, symmetricInt8, unionRange, type Range } from './params.ts';
import { indexOperators } from './index-values.ts';
import { INT8_RULES, type Int8Rule } from './rules.ts';
import { shareRanges } from './shared-ranges.ts';

export interface Int8EmitOptions {
  readonly ranges: ReadonlyMap<number, Range>;
  /** int8 graph inputs and outputs instead of float32 ones with QUANTIZE / DEQUANTIZE. */
  readonly int8Io: boolean;
  /** Keras layers whose operators stay float32 (an operator counts when its layer or a layer fused into it is here). */
  readonly keepFloat?: ReadonlySet<string>;
  /** Values calibration saw holding ±Infinity / NaN: every operator reading or writing one runs in float32. */
  readonly nonFinite?: ReadonlySet<number>;
  /**
   * Writes a WHILE's condition and body (float32: calibration cannot see inside a loop) into
   * `subgraphs` and returns the operator's options. Required when the graph has a WHILE.
   */
  readonly emitLoop?: (op: IrOp, subgraphs: TfliteSubgraph[]) => Record<string, unknown>;
}

/** Why an operator of a full-int8 model runs in float32. */
export type FloatOpCause = 'no-int8-rule' | 'kept-float' | 'loop' | 'non-finite' | 'statistics' | 'index';

export interface Int8Emitted {
  readonly model: TfliteModel;
  /** Operators left in float32 (no int8 rule, or kept float by the caller), with their layer. */
  readonly floatOps: ReadonlyArray<{ op: string; layer: string; cause: FloatOpCause }>;
  /** int8 -> int8 QUANTIZE operators added so inputs share a scale (concatenation, max/min) where calibration could not give them one (./shared-ranges.ts). */
  readonly requantizations: number;
}

export function emitInt8(graph: IrGraph, options: Int8EmitOptions): Int8Emitted {
  const g = new TfliteGraphBuilder();
  const quantOf = new Map<number, Quantization>(); // IR value -> its int8 parameters
  const quantTensor = new Map<number, number>(); // IR value -> builder tensor in int8 (or int32 / bool for those values)
  const floatTensor = new Map<number, number>(); // IR value -> builder tensor in float32
  const floatOps: Array<{ op: string; layer: string; cause: FloatOpCause }> = [];
  const keepFloat = options.keepFloat ?? new Set<string>();
  const keptFloat = (op: IrOp) => keepFloat.has(op.layer) || (op.fused ?? []).some((layer) => keepFloat.has(layer));
  let requantizations = 0;
  const subgraphs: TfliteSubgraph[] = [];

  // Operators computing indices run unquantized (./index-values.ts).
  const indexOps = indexOperators(graph);
  const ranges = shareRanges(graph, options.ranges, indexOps);
  const rangeOfValue = (id: number): Range => {
    const range = ranges.get(id);
    if (!range) throw new QuantizationError(`tensor "${graph.value(id).name}" has no calibrated range; the calibration did not observe it`);
    return range;
  };
  const constQuant = (id: number): Quantization => {
    let q = quantOf.get(id);
    if (!q) {
      q = asymmetricInt8(rangeOf(graph.value(id).data!.toFloat32().data));
      quantOf.set(id, q);
    }
    return q;
  };
  const int8Constant = (id: number): number => {
    let index = quantTensor.get(id);
    if (index === undefined) {
      const value = graph.value(id);
      const q = constQuant(id);
      index = g.constant(value.name, quantizeWith(value.data!, q), q);
      quantTensor.set(id, index);
    }
    return index;
  };
  const plainConstant = (id: number): number => {
    let index = floatTensor.get(id);
    if (index === undefined) {
      const value = graph.value(id);
      index = g.constant(value.name, value.data!);
      floatTensor.set(id, index);
    }
    return index;
  };
  const asFloat = (id: number): number => {
    const value = graph.value(id);
    if (value.data) return plainConstant(id); // float32, int32 or bool constant (a float op's paddings, axes, shape, mask)
    if (value.dtype !== 'float32') return quantTensor.get(id)!;
    let index = floatTensor.get(id);
    if (index === undefined) {
      index = g.activation(`${value.name}/dequantized`, 'float32', value.shape);
      g.op('DEQUANTIZE', [int8Of(id)], [index]);
      floatTensor.set(id, index);
    }
    return index;
  };

  /** The int8 (or int32) tensor of an activation; a float operator's result is quantized on first use. */
  function int8Of(id: number): number {
    let index = quantTensor.get(id);
    if (index === undefined) {
      const value = graph.value(id);
      const source = floatTensor.get(id);
      const q = quantOf.get(id);
      if (source === undefined || !q) throw new QuantizationError(`tensor "${value.name}" is read before it is produced`);
      index = g.activation(value.name, 'int8', value.shape, q);
      g.op('QUANTIZE', [source], [index]);
      quantTensor.set(id, index);
    }
    return index;
  }

  for (const id of graph.inputs) {
    const value = graph.value(id);
    if (value.dtype === 'int32') {
      quantTensor.set(id, g.input(value.name, 'int32', value.shape));
      continue;
    }
    const q = asymmetricInt8(rangeOfValue(id));
    quantOf.set(id, q);
    if (options.int8Io) {
      quantTensor.set(id, g.input(value.name, 'int8', value.shape, q));
    } else if (!graph.isGraphOutput(id) && graph.consumers(id).every((k) => indexOps.has(graph.ops[k]!))) {
      // Read by index arithmetic only (token ids as float): no QUANTIZE unless an int8 reader turns up.
      floatTensor.set(id, g.input(value.name, 'float32', value.shape));
    } else {
      const input = g.input(value.name, 'float32', value.shape);
      const quantized = g.activation(`${value.name}/quantized`, 'int8', value.shape, q);
      g.op('QUANTIZE', [input], [quantized]);
      floatTensor.set(id, input);
      quantTensor.set(id, quantized);
    }
  }

  const nonFinite = options.nonFinite ?? new Set<number>();
  const touchesNonFinite = (op: IrOp) => [...op.inputs, ...op.outputs].some((id) => nonFinite.has(id));
  for (const op of graph.ops) {
    const rule = INT8_RULES[op.op];
    const nonFloatOutput = op.outputs.some((id) => graph.value(id).dtype !== 'float32');
    const infinite = touchesNonFinite(op);
    const index = indexOps.has(op);
    if (!rule || nonFloatOutput || keptFloat(op) || infinite || op.keepFloat || index) {
      emitFloatOp(op, op.loop ? 'loop' : index ? 'index' : !rule || nonFloatOutput ? 'no-int8-rule' : infinite ? 'non-finite' : keptFloat(op) ? 'kept-float' : 'statistics');
      continue;
    }
    const output = outputQuantization(op, rule);
    let weightScales: readonly number[] = [1];
    const inputs = new Array<number>(op.inputs.length);
    // Weights first: the bias scale depends on them.
    if (rule.weights) {
      const id = op.inputs[rule.weights.input]!;
      const { tensor, quantization } = symmetricInt8(graph.value(id).data!, rule.weights.axis);
      inputs[rule.weights.input] = g.constant(graph.value(id).name, tensor, quantization);
      weightScales = quantization.scale;
    }
    op.inputs.forEach((id, k) => {
      if (inputs[k] !== undefined) return;
      if (id < 0) {
        inputs[k] = -1;
        return;
      }
      const value = graph.value(id);
      if (value.dtype === 'int32') {
        inputs[k] = value.data ? plainConstant(id) : int8Of(id);
      } else if (k === rule.bias && value.data) {
        const dataInput = op.inputs[rule.dataInput ?? 0]!;
        const { tensor, quantization } = int32Bias(value.data, quantOf.get(dataInput)!.scale[0]!, weightScales);
        inputs[k] = g.constant(value.name, tensor, quantization);
      } else if (value.data && (rule.output.kind === 'shared' || rule.output.kind === 'same-as-input')) {
        // A constant operand of MAXIMUM / MINIMUM (ReLU's max_value), of CONCATENATION (a class
        // token) or PADV2's pad value takes the output's parameters: these kernels move int8
        // values without rescaling them.
        inputs[k] = g.constant(value.name, quantizeWith(value.data, output), output);
      } else if (value.data) {
        inputs[k] = int8Constant(id);
      } else {
        let index = int8Of(id);
        if (rule.output.kind === 'shared' && !sameQuantization(quantOf.get(id)!, output)) {
          // Inputs of concatenation / maximum / minimum must carry the output's parameters.
          const requantized = g.activation(`${value.name}/requantized`, 'int8', value.shape, output);
          g.op('QUANTIZE', [index], [requantized]);
          requantizations++;
          index = requantized;
        }
        inputs[k] = index;
      }
    });
    const outputs = op.outputs.map((id) => {
      const value = graph.value(id);
      const index = g.activation(value.name, 'int8', value.shape, output);
      quantOf.set(id, output);
      quantTensor.set(id, index);
      return index;
    });
    g.op(op.op, inputs, outputs, op.options as never);
  }

  const outputTensors = graph.outputs.map(({ id }) => {
    const value = graph.value(id);
    if (value.dtype === 'int32' || options.int8Io) return int8Of(id);
    return asFloat(id);
  });
  g.output(...outputTensors);
  const model = g.build(`torchport int8${options.int8Io ? ' (int8 I/O)' : ''}`);
  if (subgraphs.length > 0) model.subgraphs = subgraphs;
  model.signature = {
    key: DEFAULT_SIGNATURE_KEY,
    inputs: graph.inputs.map((id) => ({ name: graph.value(id).name, tensor: options.int8Io || graph.value(id).dtype === 'int32' ? quantTensor.get(id)! : floatTensor.get(id)! })),
    outputs: graph.outputs.map((output, i) => ({ name: output.name, tensor: outputTensors[i]! })),
  };
  return { model, floatOps, requantizations };

  function outputQuantization(op: IrOp, rule: Int8Rule): Quantization {
    const out = op.outputs[0]!;
    switch (rule.output.kind) {
      case 'calibrated':
        return asymmetricInt8(rangeOfValue(out));
      case 'fixed':
        return rule.output.quantization;
      case 'same-as-input': {
        const source = op.inputs[rule.output.input]!;
        if (graph.isConstant(source)) return constQuant(source);
        return quantOf.get(source) ?? asymmetricInt8(rangeOfValue(out));
      }
      case 'shared': {
        // Constant operands count too: a concatenated constant outside the activations' range would clip.
        const operands = op.inputs
          .filter((id) => id >= 0 && graph.value(id).dtype === 'float32')
          .map((id) => (graph.isConstant(id) ? rangeOf(graph.value(id).data!.toFloat32().data) : rangeOfValue(id)));
        return asymmetricInt8(unionRange([...operands, rangeOfValue(out)]));
      }
    }
  }

  function emitFloatOp(op: IrOp, cause: FloatOpCause): void {
    floatOps.push({ op: op.op, layer: op.layer, cause });
    const inputs = op.inputs.map((id) => (id < 0 ? -1 : asFloat(id)));
    const outputs = op.outputs.map((id) => {
      const value = graph.value(id);
      if (value.dtype !== 'float32') {
        // int32 (ids, loop counters) and bool (comparisons) values are not quantized.
        const index = g.activation(value.name, value.dtype, value.shape);
        quantTensor.set(id, index);
        return index;
      }
      const index = g.activation(`${value.name}/float`, 'float32', value.shape);
      floatTensor.set(id, index);
      return index;
    });
    let opOptions = op.options;
    if (op.loop) {
      if (!options.emitLoop) throw new QuantizationError(`${op.op} (layer '${op.layer}') has loop subgraphs but no emitLoop was given`);
      opOptions = options.emitLoop(op, subgraphs);
    }
    g.op(op.op, inputs, outputs, opOptions as never);
    // The int8 parameters are fixed now (a same-as-input rule downstream reads them); the
    // QUANTIZE itself is written by int8Of when an int8 reader needs it.
    // A value that holds ±inf has no int8 form; only float operators read it (see touchesNonFinite).
    for (const id of op.outputs) if (graph.value(id).dtype === 'float32' && !nonFinite.has(id)) quantOf.set(id, asymmetricInt8(rangeOfValue(id)));
  }
}
