// Merge layers: n-ary Keras merges become chains of binary TFLite operators.
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { axisOf, outputShape } from './util.ts';

function chain(ctx: LoweringContext, op: 'ADD' | 'MUL' | 'MAXIMUM' | 'MINIMUM', last = true): IrTensor {
  const inputs = ctx.inputs;
  if (inputs.length < 2) ctx.fail(`needs at least 2 inputs, got ${inputs.length}`);
  const shape = outputShape(ctx);
  let y = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) {
    const final = last && i === inputs.length - 1;
    y = ctx.op(op, [y, inputs[i]!], { shape, ...(final ? {} : { suffix: `${op.toLowerCase()}_${i}` }) });
  }
  return y;
}

export const add = (ctx: LoweringContext) => chain(ctx, 'ADD');
export const multiply = (ctx: LoweringContext) => chain(ctx, 'MUL');
export const maximum = (ctx: LoweringContext) => chain(ctx, 'MAXIMUM');
export const minimum = (ctx: LoweringContext) => chain(ctx, 'MINIMUM');

/** Average = sum * (1 / n): MUL by a constant, because int8 kernels have no DIV. */
export function average(ctx: LoweringContext): IrTensor {
  const sum = chain(ctx, 'ADD', false);
  return ctx.op('MUL', [sum, ctx.constant('inverse_count', Tensor.fromNumbers([], [1 / ctx.inputs.length]))], { shape: outputShape(ctx) });
}

export function concatenate(ctx: LoweringContext): IrTensor {
  const shape = outputShape(ctx);
  const axis = axisOf(ctx, ctx.config<number>('axis') ?? -1, shape.length);
  return ctx.op('CONCATENATION', [...ctx.inputs], { shape }, { axis });
}
