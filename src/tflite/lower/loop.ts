// Recurrences over a static sequence, written one of two ways from the same cell step function:
//
// 'loop' (default): one TFLite WHILE over the time steps, so a recurrent layer is a fixed number
// of operators whatever the sequence length. The loop carries (t, xs, out, ...state): t is the
// current step as an int32 [1] (a [1]-shaped index keeps GATHER's output at rank 3, so no
// reshapes), xs the per-step inputs (batch, steps, features) read with GATHER on axis 1, out the
// (batch, steps, units) result each step writes its output into with DYNAMIC_UPDATE_SLICE, and the
// cell's state tensors, each (batch, 1, units) and zero at the start (PyTorch's default h0 / c0).
// A backward direction runs t from steps - 1 down to 0. State lives in ordinary loop values, not
// variable tensors, so every run starts from zero (LiteRT.js refuses variable tensors:
// src/tflite/litert-fused-lstm.test.ts). Under full int8 the loop runs in float32.
//
// 'unroll': one copy of the cell per step. About twice as fast in LiteRT (the main graph goes to
// XNNPACK; a loop body runs on the builtin kernels, one step at a time: scripts/bench-recurrent.ts)
// and fully int8 under full-integer quantization, at ~12 operators per step and direction.
import { Tensor } from '../../tensor/index.ts';
import type { OperatorName, OptionsForOperator } from '../schema/index.ts';
import type { LoweringContext, OutputSpec } from './context.ts';
import { IrGraph, type IrDType, type IrTensor } from '../ir/index.ts';

/** What a cell's step function builds with: the layer context, or a loop body. */
export interface OpSink {
  constant(suffix: string, value: Tensor): IrTensor;
  int32(suffix: string, values: readonly number[], shape?: readonly number[]): IrTensor;
  op<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], output: OutputSpec, options?: OptionsForOperator<Op>): IrTensor;
  opMulti<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], outputs: readonly OutputSpec[], options?: OptionsForOperator<Op>): IrTensor[];
}

/** Builds a loop's condition or body graph; names read `<layer>/<prefix>/<suffix>`. */
export class LoopGraphBuilder implements OpSink {
  readonly graph = new IrGraph();
  private counter = 0;

  constructor(private readonly prefix: string) {}

  private name(suffix: string | undefined): string {
    return `${this.prefix}/${suffix ?? `t${this.counter++}`}`;
  }

  input(suffix: string, shape: readonly number[], dtype: IrDType = 'float32'): IrTensor {
    const value = this.graph.addValue({ name: this.name(suffix), shape, dtype });
    this.graph.inputs.push(value.id);
    return value;
  }

  constant(suffix: string, value: Tensor): IrTensor {
    if (value.dtype !== 'float32' && value.dtype !== 'int32') throw new RangeError(`loop constant '${suffix}' is ${value.dtype}; loops hold float32 or int32 constants`);
    return this.graph.addValue({ name: this.name(suffix), shape: value.shape, dtype: value.dtype, data: value });
  }

  int32(suffix: string, values: readonly number[], shape: readonly number[] = [values.length]): IrTensor {
    return this.constant(suffix, new Tensor('int32', shape, Int32Array.from(values)));
  }

  op<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], output: OutputSpec, options?: OptionsForOperator<Op>): IrTensor {
    return this.opMulti(op, inputs, [output], options)[0]!;
  }

  opMulti<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], outputs: readonly OutputSpec[], options?: OptionsForOperator<Op>): IrTensor[] {
    return this.graph.appendOp(
      op,
      this.prefix,
      inputs,
      outputs.map((spec) => ({ name: this.name(spec.suffix), shape: spec.shape, dtype: spec.dtype ?? 'float32' })),
      options,
    );
  }

  output(...values: IrTensor[]): void {
    for (const value of values) this.graph.outputs.push({ id: value.id, name: this.graph.value(value.id).name });
  }
}

export interface ScanOptions {
  /** (batch, steps, features): what the cell reads at step t, already projected. */
  readonly inputs: IrTensor;
  readonly units: number;
  /** How many (batch, 1, units) state tensors the cell carries (LSTM: h and c; GRU: h). */
  readonly stateCount: number;
  readonly backwards: boolean;
  /**
   * Where step t's output goes: at t ('time', PyTorch and Keras's Bidirectional), or at its
   * processing position, steps - 1 - t when backwards ('processing': a plain Keras LSTM with
   * goBackwards returns its outputs reversed).
   */
  readonly outputOrder: 'time' | 'processing';
  /** Prefix for the names of the loop's tensors and subgraphs ('' or 'fw_' / 'bw_'). */
  readonly tag: string;
  /**
   * One step: from the step's input (batch, 1, features) and the previous state, the next state
   * and the step's output (batch, 1, units).
   */
  readonly step: (body: OpSink, input: IrTensor, state: readonly IrTensor[]) => { state: IrTensor[]; output: IrTensor };
}

export const RECURRENCE_STRATEGIES = ['loop', 'unroll'] as const;
export type RecurrenceStrategy = (typeof RECURRENCE_STRATEGIES)[number];

/** Runs `step` over the sequence; returns every step's output, (batch, steps, units). */
export function scanSequence(ctx: LoweringContext, options: ScanOptions, strategy: RecurrenceStrategy): IrTensor {
  return strategy === 'unroll' ? unrolled(ctx, options) : loop(ctx, options);
}

function loop(ctx: LoweringContext, options: ScanOptions): IrTensor {
  const { inputs, units, stateCount, backwards, tag } = options;
  const [batch, steps, features] = inputs.shape as [number, number, number];
  const outShape = [batch, steps, units];
  const stateShape = [batch, 1, units];
  const loopValues: Array<{ suffix: string; shape: readonly number[]; dtype: IrDType }> = [
    { suffix: 't', shape: [1], dtype: 'int32' },
    { suffix: 'xs', shape: inputs.shape, dtype: 'float32' },
    { suffix: 'out', shape: outShape, dtype: 'float32' },
    ...Array.from({ length: stateCount }, (_, k) => ({ suffix: `state${k}`, shape: stateShape, dtype: 'float32' as const })),
  ];
  const prefix = `${ctx.layer.name}/${tag}while`;

  const cond = new LoopGraphBuilder(`${prefix}_cond`);
  const [t] = loopValues.map((v) => cond.input(v.suffix, v.shape, v.dtype));
  cond.output(
    backwards
      ? cond.op('GREATER_EQUAL', [t!, cond.int32('first', [0])], { shape: [1], dtype: 'bool', suffix: 'running' })
      : cond.op('LESS', [t!, cond.int32('end', [steps])], { shape: [1], dtype: 'bool', suffix: 'running' }),
  );

  const body = new LoopGraphBuilder(`${prefix}_body`);
  const [bt, xs, out, ...state] = loopValues.map((v) => body.input(v.suffix, v.shape, v.dtype));
  const x = body.op('GATHER', [xs!, bt!], { shape: [batch, 1, features], suffix: 'x_t' }, { axis: 1, batchDims: 0 });
  const next = options.step(body, x, state);
  const zero = body.int32('zero', [0]);
  const step = backwards && options.outputOrder === 'processing' ? body.op('SUB', [body.int32('last', [steps - 1]), bt!], { shape: [1], dtype: 'int32', suffix: 'k' }) : bt!;
  const position = body.op('CONCATENATION', [zero, step, zero], { shape: [3], dtype: 'int32', suffix: 'position' }, { axis: 0 });
  const written = body.op('DYNAMIC_UPDATE_SLICE', [out!, next.output, position], { shape: outShape, suffix: 'out_next' });
  const nextT = body.op('ADD', [bt!, body.int32('stride', [backwards ? -1 : 1])], { shape: [1], dtype: 'int32', suffix: 't_next' });
  body.output(nextT, xs!, written, ...next.state);

  const initial = [
    ctx.int32(`${tag}t0`, [backwards ? steps - 1 : 0]),
    inputs,
    // Every step overwrites its slot, so the start value is never read: broadcast a scalar rather
    // than store batch x steps x units zeros in the file.
    ctx.op('BROADCAST_TO', [ctx.constant(`${tag}zero`, Tensor.zeros('float32', [])), ctx.int32(`${tag}out_shape`, outShape)], { shape: outShape, suffix: `${tag}out0` }),
    ...Array.from({ length: stateCount }, (_, k) => ctx.constant(`${tag}state${k}_0`, Tensor.zeros('float32', stateShape))),
  ];
  const results = ctx.loop(
    initial,
    loopValues.map((v) => ({ shape: v.shape, dtype: v.dtype, suffix: `${tag}while_${v.suffix}` })),
    { name: prefix, cond: cond.graph, body: body.graph },
  );
  return results[2]!;
}

function unrolled(ctx: LoweringContext, options: ScanOptions): IrTensor {
  const { inputs, units, stateCount, backwards, tag } = options;
  const [batch, steps, features] = inputs.shape as [number, number, number];
  const stateShape = [batch, 1, units];
  const xs =
    steps === 1
      ? [inputs]
      : ctx.opMulti(
          'SPLIT',
          [ctx.int32(`${tag}steps_axis`, [1], []), inputs],
          Array.from({ length: steps }, (_, t) => ({ shape: [batch, 1, features], suffix: `${tag}x${t}` })),
          { numSplits: steps },
        );
  let state = Array.from({ length: stateCount }, (_, k) => ctx.constant(`${tag}state${k}_0`, Tensor.zeros('float32', stateShape)));
  const outputs = new Array<IrTensor>(steps);
  const constants = new Map<string, IrTensor>();
  for (let k = 0; k < steps; k++) {
    const t = backwards ? steps - 1 - k : k;
    const next = options.step(stepSink(ctx, `${tag}t${t}_`, `${tag}`, constants), xs[t]!, state);
    state = next.state;
    outputs[options.outputOrder === 'processing' ? k : t] = next.output;
  }
  if (steps === 1) return outputs[0]!;
  return ctx.op('CONCATENATION', outputs, { shape: [batch, steps, units], suffix: `${tag}sequence` }, { axis: 1 });
}

/**
 * The layer context with every operator output named after the step (`fw_t3_gates`). Constants
 * (weights, axes) are the same at every step: made once, named after the direction.
 */
function stepSink(ctx: LoweringContext, prefix: string, tag: string, constants: Map<string, IrTensor>): OpSink {
  const named = <T extends { suffix?: string }>(spec: T): T => ({ ...spec, suffix: `${prefix}${spec.suffix ?? 'value'}` });
  const once = (suffix: string, make: () => IrTensor): IrTensor => {
    let value = constants.get(suffix);
    if (!value) constants.set(suffix, (value = make()));
    return value;
  };
  return {
    constant: (suffix, value) => once(suffix, () => ctx.constant(`${tag}${suffix}`, value)),
    int32: (suffix, values, shape) => once(suffix, () => ctx.int32(`${tag}${suffix}`, values, shape)),
    op: (op, inputs, output, options) => ctx.op(op, inputs, named(output), options),
    opMulti: (op, inputs, outputs, options) => ctx.opMulti(op, inputs, outputs.map(named), options),
  };
}
