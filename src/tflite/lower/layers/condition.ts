// Lowerings of the builder's Gather, Compare and Select layers (src/keras/layers/gather.ts,
// select.ts): GATHER with an int32 constant, the six comparison builtins (bool results), and
// SELECT_V2, which broadcasts its condition and both values. A constant condition (Select's
// `condition` weight, 1 / 0) becomes a bool constant; numbers become float32 scalars.
import { Tensor } from '../../../tensor/index.ts';
import type { OperatorName } from '../../schema/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { outputShape } from './util.ts';

export function gather(ctx: LoweringContext): IrTensor {
  const x = ctx.inputs[0]!;
  const indices = ctx.config<number[]>('indices') ?? ctx.fail('has no indices');
  return ctx.op('GATHER', [x, ctx.int32('indices', indices)], { shape: outputShape(ctx) }, { axis: ctx.config<number>('axis') ?? ctx.fail('has no axis'), batchDims: 0 });
}

const COMPARISON_OPS: Readonly<Record<string, OperatorName>> = {
  greater: 'GREATER',
  greaterEqual: 'GREATER_EQUAL',
  less: 'LESS',
  lessEqual: 'LESS_EQUAL',
  equal: 'EQUAL',
  notEqual: 'NOT_EQUAL',
};

export function compare(ctx: LoweringContext): IrTensor {
  const op = COMPARISON_OPS[ctx.config<string>('op') ?? ''] ?? ctx.fail(`has an unknown comparison ${JSON.stringify(ctx.config('op'))}`);
  const scalar = ctx.config<number | null>('scalar') ?? null;
  const [x, y] = ctx.inputs;
  const other = scalar === null ? (y ?? ctx.fail('compares two tensors but has one input')) : ctx.constant('scalar', Tensor.fromNumbers([], [scalar]));
  return ctx.op(op, [x!, other], { shape: outputShape(ctx), dtype: 'bool' });
}

/** Select's config spells non-finite numbers 'inf', '-inf', 'nan' (JSON has none). */
const NON_FINITE: Readonly<Record<string, number>> = { inf: Infinity, '-inf': -Infinity, nan: NaN };

function nonFinite(ctx: LoweringContext, key: string, spelled: string): number {
  return Object.hasOwn(NON_FINITE, spelled) ? NON_FINITE[spelled]! : ctx.fail(`${key} is ${JSON.stringify(spelled)}, not a number`);
}

export function select(ctx: LoweringContext): IrTensor {
  const inputs = [...ctx.inputs];
  let condition: IrTensor;
  if (ctx.config<number[] | null>('condition')) {
    const mask = ctx.weight('condition').toFloat32();
    condition = ctx.constant('condition', new Tensor('bool', mask.shape, Uint8Array.from(mask.data, (v) => (v !== 0 ? 1 : 0))));
  } else condition = inputs.shift() ?? ctx.fail('has no condition input');
  const operand = (key: 'whenTrue' | 'whenFalse'): IrTensor => {
    const raw = ctx.config<number | string | null>(key) ?? null;
    if (raw !== null) return ctx.constant(key, Tensor.fromNumbers([], [typeof raw === 'number' ? raw : nonFinite(ctx, key, raw)]));
    return inputs.shift() ?? ctx.fail(`has no ${key} input`);
  };
  const whenTrue = operand('whenTrue');
  const whenFalse = operand('whenFalse');
  return ctx.op('SELECT_V2', [condition, whenTrue, whenFalse], { shape: outputShape(ctx) });
}
