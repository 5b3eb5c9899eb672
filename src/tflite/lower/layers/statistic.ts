// Statistic: variance / standard deviation, vector norms, logsumexp and F.normalize over static axes,
// decomposed into reductions and elementwise builtins XNNPACK and every LiteRT release run.
import { Tensor } from '../../../tensor/index.ts';
import type { IrTensor } from '../../ir/index.ts';
import type { LoweringContext } from '../context.ts';
import { axisOf, outputShape } from './util.ts';

export type StatisticOp = 'var' | 'std' | 'norm' | 'logsumexp' | 'normalize';

export interface StatisticSpec {
  readonly op: StatisticOp;
  readonly axes: readonly number[];
  readonly keepDims: boolean;
  /** var / std: the divisor is (count - correction). */
  readonly correction: number;
  /** norm / normalize: the order (Infinity and -Infinity included). */
  readonly p: number;
  readonly eps: number;
}

const scalar = (ctx: LoweringContext, suffix: string, value: number): IrTensor => ctx.constant(suffix, Tensor.fromNumbers([], [value]));

export function statistic(ctx: LoweringContext, layer: StatisticSpec): IrTensor {
  const x = ctx.inputs[0]!;
  const axes = layer.axes.map((a) => axisOf(ctx, a, x.shape.length));
  if (axes.includes(0)) ctx.fail('reduces over the batch axis');
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = outputShape(ctx);
  const axesTensor = ctx.int32('axes', axes);
  const reduce = (op: 'SUM' | 'MEAN' | 'REDUCE_MAX' | 'REDUCE_MIN', input: IrTensor, keepDims: boolean, suffix: string): IrTensor =>
    ctx.op(op, [input, axesTensor], { shape: keepDims ? kept : out, suffix }, { keepDims });
  const unary = (op: 'ABS' | 'SQRT' | 'EXP' | 'LOG', input: IrTensor, suffix: string): IrTensor => ctx.op(op, [input], { shape: input.shape, suffix });
  const binary = (op: 'SUB' | 'MUL' | 'ADD' | 'DIV' | 'POW' | 'MAXIMUM', a: IrTensor, b: IrTensor, shape: readonly number[], suffix: string): IrTensor => ctx.op(op, [a, b], { shape, suffix });

  const norm = (keepDims: boolean): IrTensor => {
    const p = layer.p;
    if (p === 2) {
      const squares = binary('MUL', x, x, x.shape, 'square');
      return unary('SQRT', reduce('SUM', squares, keepDims, 'sum_squares'), 'norm');
    }
    const magnitude = unary('ABS', x, 'abs');
    if (p === 1) return reduce('SUM', magnitude, keepDims, 'norm');
    if (p === Infinity) return reduce('REDUCE_MAX', magnitude, keepDims, 'norm');
    if (p === -Infinity) return reduce('REDUCE_MIN', magnitude, keepDims, 'norm');
    const powered = binary('POW', magnitude, scalar(ctx, 'p', p), x.shape, 'powered');
    const total = reduce('SUM', powered, keepDims, 'sum_powered');
    return binary('POW', total, scalar(ctx, 'inverse_p', 1 / p), total.shape, 'norm');
  };

  switch (layer.op) {
    case 'var':
    case 'std': {
      const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
      const centered = binary('SUB', x, reduce('MEAN', x, true, 'mean'), x.shape, 'centered');
      const total = reduce('SUM', binary('MUL', centered, centered, x.shape, 'squared'), layer.keepDims, 'sum_squares');
      const variance = binary('MUL', total, scalar(ctx, 'inverse_count', 1 / Math.max(count - layer.correction, 0)), total.shape, 'variance');
      return layer.op === 'var' ? variance : unary('SQRT', variance, 'std');
    }
    case 'norm':
      return norm(layer.keepDims);
    case 'normalize': {
      const floor = binary('MAXIMUM', norm(true), scalar(ctx, 'eps', layer.eps), kept, 'clamped_norm');
      return binary('DIV', x, floor, x.shape, 'normalized');
    }
    case 'logsumexp': {
      const maxKept = reduce('REDUCE_MAX', x, true, 'max_kept');
      const shifted = binary('SUB', x, maxKept, x.shape, 'shifted');
      const total = reduce('SUM', unary('EXP', shifted, 'exp'), layer.keepDims, 'sum_exp');
      const peak = layer.keepDims ? maxKept : reduce('REDUCE_MAX', x, false, 'max');
      return binary('ADD', unary('LOG', total, 'log'), peak, out, 'logsumexp');
    }
  }
}

/** TopK along the last axis: TOPK_V2's values (its int32 indices are left unread). */
export function topK(ctx: LoweringContext, layer: { readonly k: number }): IrTensor {
  const x = ctx.inputs[0]!;
  const shape = outputShape(ctx);
  const [values] = ctx.opMulti(
    'TOPK_V2',
    [x, ctx.int32('k', [layer.k], [])],
    [
      { shape, suffix: 'values' },
      { shape, dtype: 'int32', suffix: 'indices' },
    ],
  );
  return values!;
}
