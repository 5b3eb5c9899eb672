// Lowerings of the recurrent layers the graph builder makes for nn.LSTM / nn.GRU: tfjs's LSTM,
// Bidirectional(LSTM, concat) and torchport's TorchGRU. The recurrence is unrolled over the
// (static) sequence with ops every TFLite variant can quantize: one FULLY_CONNECTED projects
// the inputs of every step at once, SPLIT cuts it into steps, and each step is a FULLY_CONNECTED
// on the previous state, ADD, SPLIT into gates, LOGISTIC / TANH and MUL / ADD. Values stay rank 3
// (batch, 1, features) so the steps' outputs CONCATENATE back into the sequence without reshapes.
// TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM (one op per direction) is not used: its kernel
// requires variable state tensors and LiteRT.js (2.5.3) refuses any model that has one, while
// without them the op fails to prepare (src/tflite/litert-fused-lstm.test.ts pins both down).
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../ir.ts';
import { registerLowering } from '../table.ts';

interface Direction {
  /** Weight name prefix inside the layer ('' or 'forward_lstm/'). */
  readonly prefix: string;
  readonly backwards: boolean;
  /** Suffix for the names of the TFLite tensors. */
  readonly tag: string;
}

/** (batch, steps, features) -> the input projection of every step, each (batch, 1, units). */
function projectSteps(ctx: LoweringContext, x: IrTensor, kernel: Tensor, bias: Tensor, tag: string): IrTensor[] {
  const [batch, steps] = [x.shape[0]!, x.shape[1]!];
  const units = kernel.shape[1]!;
  const projected = ctx.op('FULLY_CONNECTED', [x, ctx.constant(`${tag}kernel`, kernel.permute([1, 0])), ctx.constant(`${tag}bias`, bias)], { shape: [batch, steps, units], suffix: `${tag}input_fc` }, { keepNumDims: true });
  if (steps === 1) return [projected];
  return ctx.opMulti('SPLIT', [ctx.int32(`${tag}steps_axis`, [1], []), projected], Array.from({ length: steps }, (_, t) => ({ shape: [batch, 1, units], suffix: `${tag}x${t}` })), { numSplits: steps });
}

const split = (ctx: LoweringContext, x: IrTensor, parts: number, name: string): IrTensor[] =>
  ctx.opMulti('SPLIT', [ctx.int32(`${name}_axis`, [2], []), x], Array.from({ length: parts }, (_, k) => ({ shape: [x.shape[0]!, 1, x.shape[2]! / parts], suffix: `${name}_${k}` })), { numSplits: parts });

/** Steps in processing order; outputs are put back in time order. */
function unroll(ctx: LoweringContext, steps: number, backwards: boolean, step: (t: number, first: boolean) => IrTensor, tag: string): IrTensor {
  const outputs = new Array<IrTensor>(steps);
  for (let k = 0; k < steps; k++) {
    const t = backwards ? steps - 1 - k : k;
    outputs[t] = step(t, k === 0);
  }
  const [first] = outputs;
  if (steps === 1) return first!;
  return ctx.op('CONCATENATION', outputs, { shape: [first!.shape[0]!, steps, first!.shape[2]!], suffix: `${tag}sequence` }, { axis: 1 });
}

/** One LSTM direction (Keras gate order i, f, c, o; sigmoid gates, tanh cell), returning every step's h. */
function lstmDirection(ctx: LoweringContext, x: IrTensor, { prefix, backwards, tag }: Direction): IrTensor {
  const kernel = ctx.weight(`${prefix}kernel`);
  const units = kernel.shape[1]! / 4;
  const bias = ctx.hasWeight(`${prefix}bias`) ? ctx.weight(`${prefix}bias`) : Tensor.zeros('float32', [4 * units]);
  const xs = projectSteps(ctx, x, kernel, bias, tag);
  const recurrent = ctx.constant(`${tag}recurrent_kernel`, ctx.weight(`${prefix}recurrent_kernel`).permute([1, 0]));
  const noBias = ctx.constant(`${tag}recurrent_bias`, Tensor.zeros('float32', [4 * units]));
  const batch = x.shape[0]!;
  const shape = [batch, 1, units];
  let h: IrTensor | undefined;
  let c: IrTensor | undefined;
  return unroll(ctx, x.shape[1]!, backwards, (t, first) => {
    const s = `${tag}t${t}_`;
    const gates = first ? xs[t]! : ctx.op('ADD', [xs[t]!, ctx.op('FULLY_CONNECTED', [h!, recurrent, noBias], { shape: [batch, 1, 4 * units], suffix: `${s}recurrent_fc` }, { keepNumDims: true })], { shape: [batch, 1, 4 * units], suffix: `${s}gates` });
    const [i, f, g, o] = split(ctx, gates, 4, `${s}gate`);
    const input = ctx.op('LOGISTIC', [i!], { shape, suffix: `${s}i` });
    const cell = ctx.op('TANH', [g!], { shape, suffix: `${s}g` });
    const output = ctx.op('LOGISTIC', [o!], { shape, suffix: `${s}o` });
    const written = ctx.op('MUL', [input, cell], { shape, suffix: `${s}i_g` });
    if (first) c = written;
    else {
      const forget = ctx.op('LOGISTIC', [f!], { shape, suffix: `${s}f` });
      c = ctx.op('ADD', [ctx.op('MUL', [forget, c!], { shape, suffix: `${s}f_c` }), written], { shape, suffix: `${s}c` });
    }
    h = ctx.op('MUL', [output, ctx.op('TANH', [c], { shape, suffix: `${s}tanh_c` })], { shape, suffix: `${s}h` });
    return h;
  }, tag);
}

function requireLstmConfig(ctx: LoweringContext, config: Readonly<Record<string, unknown>>): void {
  if (config['recurrentActivation'] !== 'sigmoid' || config['activation'] !== 'tanh') ctx.fail(`only activation 'tanh' with recurrentActivation 'sigmoid' is lowered (got ${String(config['activation'])} / ${String(config['recurrentActivation'])})`);
  if (config['returnSequences'] !== true) ctx.fail('returnSequences: false is not lowered (the graph builder always returns sequences)');
  if (config['stateful'] === true || config['unroll'] === true) ctx.fail('stateful or unroll LSTM configs are not lowered');
}

function sequenceInput(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0];
  if (!x || x.shape.length !== 3) ctx.fail(`needs one (batch, steps, features) input, got [${x?.shape.join(', ') ?? ''}]`);
  return x;
}

export function lstm(ctx: LoweringContext): IrTensor {
  requireLstmConfig(ctx, ctx.layer.config);
  return lstmDirection(ctx, sequenceInput(ctx), { prefix: '', backwards: ctx.config<boolean>('goBackwards') === true, tag: '' });
}

export function bidirectional(ctx: LoweringContext): IrTensor {
  const inner = ctx.config<{ className?: string; config?: Record<string, unknown> }>('layer');
  if (inner?.className !== 'LSTM' || !inner.config) ctx.fail(`only a wrapped LSTM is lowered (got ${String(inner?.className)})`);
  if (ctx.config<string>('mergeMode') !== 'concat') ctx.fail(`mergeMode '${String(ctx.config('mergeMode'))}' is not lowered (concat is)`);
  requireLstmConfig(ctx, inner.config);
  const name = String(inner.config['name']);
  const x = sequenceInput(ctx);
  const forward = lstmDirection(ctx, x, { prefix: `forward_${name}/`, backwards: false, tag: 'fw_' });
  const backward = lstmDirection(ctx, x, { prefix: `backward_${name}/`, backwards: true, tag: 'bw_' });
  return ctx.op('CONCATENATION', [forward, backward], { shape: [x.shape[0]!, x.shape[1]!, forward.shape[2]! * 2] }, { axis: 2 });
}

/** TorchGRU: PyTorch's gate order r, z, n and reset-after form (src/keras/layers/torch_gru.ts). */
function torchGru(ctx: LoweringContext): IrTensor {
  if (ctx.config<boolean>('returnSequences') === false) ctx.fail('returnSequences: false is not lowered');
  const x = sequenceInput(ctx);
  const kernel = ctx.weight('kernel');
  const units = kernel.shape[1]! / 3;
  const xs = projectSteps(ctx, x, kernel, ctx.weight('bias'), '');
  const recurrentBias = ctx.weight('recurrent_bias');
  const recurrent = ctx.constant('recurrent_kernel', ctx.weight('recurrent_kernel').permute([1, 0]));
  const recurrentBiasConst = ctx.constant('recurrent_bias', recurrentBias);
  // With h = 0 the recurrent projection is its bias: its three gate blocks as constants.
  const h0 = [0, 1, 2].map((k) => ctx.constant(`h0_${'rzn'[k]}`, new Tensor('float32', [units], (recurrentBias.data as Float32Array).slice(k * units, (k + 1) * units))));
  const batch = x.shape[0]!;
  const shape = [batch, 1, units];
  let h: IrTensor | undefined;
  return unroll(ctx, x.shape[1]!, ctx.config<boolean>('goBackwards') === true, (t, first) => {
    const s = `t${t}_`;
    const [xr, xz, xn] = split(ctx, xs[t]!, 3, `${s}x`);
    const [hr, hz, hn] = first ? h0 : split(ctx, ctx.op('FULLY_CONNECTED', [h!, recurrent, recurrentBiasConst], { shape: [batch, 1, 3 * units], suffix: `${s}recurrent_fc` }, { keepNumDims: true }), 3, `${s}h`);
    const r = ctx.op('LOGISTIC', [ctx.op('ADD', [xr!, hr!], { shape, suffix: `${s}r_in` })], { shape, suffix: `${s}r` });
    const z = ctx.op('LOGISTIC', [ctx.op('ADD', [xz!, hz!], { shape, suffix: `${s}z_in` })], { shape, suffix: `${s}z` });
    const n = ctx.op('TANH', [ctx.op('ADD', [xn!, ctx.op('MUL', [r, hn!], { shape, suffix: `${s}r_hn` })], { shape, suffix: `${s}n_in` })], { shape, suffix: `${s}n` });
    // h' = (1 - z) n + z h = n + z (h - n); with h = 0: n - z n.
    h = first
      ? ctx.op('SUB', [n, ctx.op('MUL', [z, n], { shape, suffix: `${s}z_n` })], { shape, suffix: `${s}h` })
      : ctx.op('ADD', [n, ctx.op('MUL', [z, ctx.op('SUB', [h!, n], { shape, suffix: `${s}h_n` })], { shape, suffix: `${s}z_hn` })], { shape, suffix: `${s}h` });
    return h;
  }, '');
}

registerLowering('LSTM', lstm);
registerLowering('Bidirectional', bidirectional);
registerLowering('TorchGRU', torchGru);
