// Lowerings of the recurrent layers the graph builder makes for nn.LSTM / nn.GRU / nn.RNN: tfjs's
// LSTM and SimpleRNN, Bidirectional(LSTM or SimpleRNN, concat) and torchport's TorchGRU. One
// FULLY_CONNECTED projects the inputs of every step at once; the recurrence itself repeats a cell
// step (FULLY_CONNECTED on the previous state, ADD, SPLIT into gates, LOGISTIC / TANH and MUL / ADD;
// a simple RNN's step is FULLY_CONNECTED, ADD and TANH or RELU), by default as one WHILE per
// direction so the operator count does not grow with the sequence length, or unrolled
// (settings.recurrence; ../loop.ts weighs the two).
// TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM (one op per direction) is not used: its kernel
// requires variable state tensors and LiteRT.js (2.5.3) refuses any model that has one, while
// without them the op fails to prepare (src/tflite/litert-fused-lstm.test.ts pins both down).
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { scanSequence, type OpSink, type RecurrenceStrategy } from '../loop.ts';
import type { LoweringSettings } from '../context.ts';

interface Direction {
  /** Weight name prefix inside the layer ('' or 'forward_lstm/'). */
  readonly prefix: string;
  readonly backwards: boolean;
  /** Keras's LSTM returns a backward sequence reversed; Bidirectional and TorchGRU in time order. */
  readonly outputOrder: 'time' | 'processing';
  /** Suffix for the names of the TFLite tensors. */
  readonly tag: string;
}

/** (batch, steps, features) -> the input projection of every step, (batch, steps, units). */
function projectSteps(ctx: LoweringContext, x: IrTensor, kernel: Tensor, bias: Tensor, tag: string): IrTensor {
  const [batch, steps] = [x.shape[0]!, x.shape[1]!];
  const units = kernel.shape[1]!;
  return ctx.op(
    'FULLY_CONNECTED',
    [x, ctx.constant(`${tag}kernel`, kernel.permute([1, 0])), ctx.constant(`${tag}bias`, bias)],
    { shape: [batch, steps, units], suffix: `${tag}input_fc` },
    { keepNumDims: true },
  );
}

/** (batch, 1, parts x n) -> parts tensors of (batch, 1, n). */
const split = (sink: OpSink, x: IrTensor, parts: number, name: string): IrTensor[] =>
  sink.opMulti(
    'SPLIT',
    [sink.int32(`${name}_axis`, [2], []), x],
    Array.from({ length: parts }, (_, k) => ({ shape: [x.shape[0]!, 1, x.shape[2]! / parts], suffix: `${name}_${k}` })),
    { numSplits: parts },
  );

/** One LSTM direction (Keras gate order i, f, c, o; sigmoid gates, tanh cell), returning every step's h. */
function lstmDirection(ctx: LoweringContext, x: IrTensor, { prefix, backwards, outputOrder, tag }: Direction, strategy: RecurrenceStrategy): IrTensor {
  const kernel = ctx.weight(`${prefix}kernel`);
  const units = kernel.shape[1]! / 4;
  const bias = ctx.hasWeight(`${prefix}bias`) ? ctx.weight(`${prefix}bias`) : Tensor.zeros('float32', [4 * units]);
  const recurrentKernel = ctx.weight(`${prefix}recurrent_kernel`).permute([1, 0]);
  const batch = x.shape[0]!;
  const shape = [batch, 1, units];
  return scanSequence(
    ctx,
    {
      inputs: projectSteps(ctx, x, kernel, bias, tag),
      units,
      stateCount: 2,
      backwards,
      outputOrder,
      tag,
      step: (body, input, [h, c]) => {
        const recurrent = body.op('FULLY_CONNECTED', [h!, body.constant('recurrent_kernel', recurrentKernel), null], { shape: [batch, 1, 4 * units], suffix: 'recurrent_fc' }, { keepNumDims: true });
        const gates = body.op('ADD', [input, recurrent], { shape: [batch, 1, 4 * units], suffix: 'gates' });
        const [i, f, g, o] = split(body, gates, 4, 'gate');
        const inputGate = body.op('LOGISTIC', [i!], { shape, suffix: 'i' });
        const forget = body.op('LOGISTIC', [f!], { shape, suffix: 'f' });
        const cell = body.op('TANH', [g!], { shape, suffix: 'g' });
        const output = body.op('LOGISTIC', [o!], { shape, suffix: 'o' });
        const nextC = body.op('ADD', [body.op('MUL', [forget, c!], { shape, suffix: 'f_c' }), body.op('MUL', [inputGate, cell], { shape, suffix: 'i_g' })], { shape, suffix: 'c' });
        const nextH = body.op('MUL', [output, body.op('TANH', [nextC], { shape, suffix: 'tanh_c' })], { shape, suffix: 'h' });
        return { state: [nextH, nextC], output: nextH };
      },
    },
    strategy,
  );
}

/** One SimpleRNN direction, h' = activation(x W + b + h U), returning every step's h. */
function simpleRnnDirection(ctx: LoweringContext, x: IrTensor, { prefix, backwards, outputOrder, tag }: Direction, activation: 'TANH' | 'RELU', strategy: RecurrenceStrategy): IrTensor {
  const kernel = ctx.weight(`${prefix}kernel`);
  const units = kernel.shape[1]!;
  const bias = ctx.hasWeight(`${prefix}bias`) ? ctx.weight(`${prefix}bias`) : Tensor.zeros('float32', [units]);
  const recurrentKernel = ctx.weight(`${prefix}recurrent_kernel`).permute([1, 0]);
  const shape = [x.shape[0]!, 1, units];
  return scanSequence(
    ctx,
    {
      inputs: projectSteps(ctx, x, kernel, bias, tag),
      units,
      stateCount: 1,
      backwards,
      outputOrder,
      tag,
      step: (body, input, [h]) => {
        const recurrent = body.op('FULLY_CONNECTED', [h!, body.constant('recurrent_kernel', recurrentKernel), null], { shape, suffix: 'recurrent_fc' }, { keepNumDims: true });
        const nextH = body.op(activation, [body.op('ADD', [input, recurrent], { shape, suffix: 'pre' })], { shape, suffix: 'h' });
        return { state: [nextH], output: nextH };
      },
    },
    strategy,
  );
}

function requireSequenceConfig(ctx: LoweringContext, config: Readonly<Record<string, unknown>>): void {
  if (config['returnSequences'] !== true) ctx.fail('returnSequences: false is not lowered (the graph builder always returns sequences)');
  if (config['stateful'] === true || config['unroll'] === true) ctx.fail('stateful or unroll recurrent configs are not lowered');
}

function requireLstmConfig(ctx: LoweringContext, config: Readonly<Record<string, unknown>>): void {
  if (config['recurrentActivation'] !== 'sigmoid' || config['activation'] !== 'tanh')
    ctx.fail(`only activation 'tanh' with recurrentActivation 'sigmoid' is lowered (got ${String(config['activation'])} / ${String(config['recurrentActivation'])})`);
  requireSequenceConfig(ctx, config);
}

/** A SimpleRNN config's activation as the TFLite op, once its other options are checked. */
function simpleRnnActivation(ctx: LoweringContext, config: Readonly<Record<string, unknown>>): 'TANH' | 'RELU' {
  requireSequenceConfig(ctx, config);
  if (config['activation'] === 'tanh') return 'TANH';
  if (config['activation'] === 'relu') return 'RELU';
  return ctx.fail(`only activation 'tanh' or 'relu' is lowered (got ${String(config['activation'])})`);
}

function sequenceInput(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0];
  if (!x || x.shape.length !== 3) ctx.fail(`needs one (batch, steps, features) input, got [${x?.shape.join(', ') ?? ''}]`);
  return x;
}

export function lstm(ctx: LoweringContext, settings: LoweringSettings): IrTensor {
  requireLstmConfig(ctx, ctx.layer.config);
  return lstmDirection(ctx, sequenceInput(ctx), { prefix: '', backwards: ctx.config<boolean>('goBackwards') === true, outputOrder: 'processing', tag: '' }, settings.recurrence);
}

export function simpleRnn(ctx: LoweringContext, settings: LoweringSettings): IrTensor {
  const activation = simpleRnnActivation(ctx, ctx.layer.config);
  const direction: Direction = { prefix: '', backwards: ctx.config<boolean>('goBackwards') === true, outputOrder: 'processing', tag: '' };
  return simpleRnnDirection(ctx, sequenceInput(ctx), direction, activation, settings.recurrence);
}

export function bidirectional(ctx: LoweringContext, settings: LoweringSettings): IrTensor {
  const inner = ctx.config<{ className?: string; config?: Record<string, unknown> }>('layer');
  if ((inner?.className !== 'LSTM' && inner?.className !== 'SimpleRNN') || !inner.config) ctx.fail(`only a wrapped LSTM or SimpleRNN is lowered (got ${String(inner?.className)})`);
  if (ctx.config<string>('mergeMode') !== 'concat') ctx.fail(`mergeMode '${String(ctx.config('mergeMode'))}' is not lowered (concat is)`);
  let lowerDirection: (x: IrTensor, direction: Direction) => IrTensor;
  if (inner.className === 'LSTM') {
    requireLstmConfig(ctx, inner.config);
    lowerDirection = (x, direction) => lstmDirection(ctx, x, direction, settings.recurrence);
  } else {
    const activation = simpleRnnActivation(ctx, inner.config);
    lowerDirection = (x, direction) => simpleRnnDirection(ctx, x, direction, activation, settings.recurrence);
  }
  const name = String(inner.config['name']);
  const x = sequenceInput(ctx);
  const forward = lowerDirection(x, { prefix: `forward_${name}/`, backwards: false, outputOrder: 'time', tag: 'fw_' });
  const backward = lowerDirection(x, { prefix: `backward_${name}/`, backwards: true, outputOrder: 'time', tag: 'bw_' });
  return ctx.op('CONCATENATION', [forward, backward], { shape: [x.shape[0]!, x.shape[1]!, forward.shape[2]! * 2] }, { axis: 2 });
}

/** TorchGRU: PyTorch's gate order r, z, n and reset-after form (src/keras/layers/torch_gru.ts). */
export function torchGru(ctx: LoweringContext, settings: LoweringSettings, layer: { readonly returnSequences: boolean; readonly goBackwards: boolean }): IrTensor {
  const strategy = settings.recurrence;
  if (!layer.returnSequences) ctx.fail('returnSequences: false is not lowered');
  const x = sequenceInput(ctx);
  const kernel = ctx.weight('kernel');
  const units = kernel.shape[1]! / 3;
  const recurrentKernel = ctx.weight('recurrent_kernel').permute([1, 0]);
  const recurrentBias = ctx.weight('recurrent_bias');
  const batch = x.shape[0]!;
  const shape = [batch, 1, units];
  return scanSequence(
    ctx,
    {
      inputs: projectSteps(ctx, x, kernel, ctx.weight('bias'), ''),
      units,
      stateCount: 1,
      backwards: layer.goBackwards,
      outputOrder: 'time',
      tag: '',
      step: (body, input, [h]) => {
        const [xr, xz, xn] = split(body, input, 3, 'x');
        const projected = body.op(
          'FULLY_CONNECTED',
          [h!, body.constant('recurrent_kernel', recurrentKernel), body.constant('recurrent_bias', recurrentBias)],
          { shape: [batch, 1, 3 * units], suffix: 'recurrent_fc' },
          { keepNumDims: true },
        );
        const [hr, hz, hn] = split(body, projected, 3, 'h');
        const r = body.op('LOGISTIC', [body.op('ADD', [xr!, hr!], { shape, suffix: 'r_in' })], { shape, suffix: 'r' });
        const z = body.op('LOGISTIC', [body.op('ADD', [xz!, hz!], { shape, suffix: 'z_in' })], { shape, suffix: 'z' });
        const n = body.op('TANH', [body.op('ADD', [xn!, body.op('MUL', [r, hn!], { shape, suffix: 'r_hn' })], { shape, suffix: 'n_in' })], { shape, suffix: 'n' });
        // h' = (1 - z) n + z h = n + z (h - n)
        const nextH = body.op('ADD', [n, body.op('MUL', [z, body.op('SUB', [h!, n], { shape, suffix: 'h_n' })], { shape, suffix: 'z_hn' })], { shape, suffix: 'h' });
        return { state: [nextH], output: nextH };
      },
    },
    strategy,
  );
}
