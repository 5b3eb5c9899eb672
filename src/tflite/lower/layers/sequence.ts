// Lowerings for the layers transformer and sequence models add to the Keras builder
// (src/keras/layers): BatchMatMul, MathFunction, Clamp, StridedSlice. Each layer class calls its
// lowering with its own typed fields.
import { Tensor } from '../../../tensor/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { outputShape } from './util.ts';

const scalar = (ctx: LoweringContext, suffix: string, value: number): IrTensor => ctx.constant(suffix, Tensor.fromNumbers([], [value]));

export function batchMatMul(ctx: LoweringContext, layer: { readonly transposeA: boolean; readonly transposeB: boolean }): IrTensor {
  const [a, b] = ctx.inputs;
  if (!a || !b) ctx.fail('needs two inputs');
  return ctx.op('BATCH_MATMUL', [a, b], { shape: outputShape(ctx) }, { adjX: layer.transposeA, adjY: layer.transposeB });
}

/**
 * erf has no TFLite builtin: Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7),
 * erf(x) = s(x) (1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-x^2)), t = 1 / (1 + p|x|),
 * with the sign s(x) = clamp(x * 1e30, -1, 1) (|erf| < 2e-7 where that is not +-1).
 */
const ERF_P = 0.3275911;
const ERF_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

function erf(ctx: LoweringContext, x: IrTensor): IrTensor {
  const same = (suffix?: string) => ({ shape: x.shape, ...(suffix ? { suffix } : {}) });
  const abs = ctx.op('ABS', [x], same('abs'));
  const denominator = ctx.op('ADD', [ctx.op('MUL', [abs, scalar(ctx, 'p', ERF_P)], same('p_abs')), scalar(ctx, 'one', 1)], same('denominator'));
  const t = ctx.op('DIV', [scalar(ctx, 'numerator', 1), denominator], same('t'));
  let poly = ctx.op('MUL', [t, scalar(ctx, 'a5', ERF_A[4]!)], same('poly_4'));
  for (let k = 3; k >= 0; k--) {
    const shifted = ctx.op('ADD', [poly, scalar(ctx, `a${k + 1}`, ERF_A[k]!)], same(`poly_${k}_add`));
    poly = ctx.op('MUL', [shifted, t], same(`poly_${k}`));
  }
  const squared = ctx.op('MUL', [x, x], same('squared'));
  const gauss = ctx.op('EXP', [ctx.op('MUL', [squared, scalar(ctx, 'minus_one', -1)], same('neg_squared'))], same('gauss'));
  const magnitude = ctx.op('SUB', [scalar(ctx, 'one_minus', 1), ctx.op('MUL', [poly, gauss], same('tail'))], same('magnitude'));
  const big = ctx.op('MUL', [x, scalar(ctx, 'sign_gain', 1e30)], same('sign_gain'));
  const sign = ctx.op('MINIMUM', [ctx.op('MAXIMUM', [big, scalar(ctx, 'sign_low', -1)], same('sign_low')), scalar(ctx, 'sign_high', 1)], same('sign'));
  return ctx.op('MUL', [magnitude, sign], same());
}

export function mathFunction(ctx: LoweringContext, layer: { readonly fn: string; readonly exponent: number | null }): IrTensor {
  const x = ctx.inputs[0]!;
  const fn = layer.fn;
  switch (fn) {
    case 'sqrt':
      return ctx.op('SQRT', [x], { shape: x.shape });
    case 'rsqrt':
      return ctx.op('RSQRT', [x], { shape: x.shape });
    case 'exp':
      return ctx.op('EXP', [x], { shape: x.shape });
    case 'log':
      return ctx.op('LOG', [x], { shape: x.shape });
    case 'abs':
      return ctx.op('ABS', [x], { shape: x.shape });
    case 'erf':
      return erf(ctx, x);
    case 'trunc': {
      // CAST float32 -> int32 truncates toward zero (a C++ static_cast in the kernel); back to float32.
      const ids = ctx.op('CAST', [x], { shape: x.shape, dtype: 'int32', suffix: 'int32' }, { inDataType: 'float32', outDataType: 'int32' });
      return ctx.op('CAST', [ids], { shape: x.shape }, { inDataType: 'int32', outDataType: 'float32' });
    }
    case 'pow': {
      const exponent = layer.exponent;
      if (exponent === null) return ctx.fail('pow without a number exponent');
      if (exponent === 2) return ctx.op('MUL', [x, x], { shape: x.shape });
      return ctx.op('POW', [x, scalar(ctx, 'exponent', exponent)], { shape: x.shape });
    }
    default:
      return ctx.fail(`MathFunction '${fn}' has no lowering`);
  }
}

export function clamp(ctx: LoweringContext, { min, max }: { readonly min: number | null; readonly max: number | null }): IrTensor {
  let y = ctx.inputs[0]!;
  if (min !== null) y = ctx.op('MAXIMUM', [y, scalar(ctx, 'min', min)], { shape: y.shape, ...(max !== null ? { suffix: 'lower' } : {}) });
  if (max !== null) y = ctx.op('MINIMUM', [y, scalar(ctx, 'max', max)], { shape: y.shape });
  return y;
}

export function stridedSlice(ctx: LoweringContext, { begin, end, strides }: { readonly begin: readonly number[]; readonly end: readonly number[]; readonly strides: readonly number[] }): IrTensor {
  const x = ctx.inputs[0]!;
  return ctx.op(
    'STRIDED_SLICE',
    [x, ctx.int32('begin', [0, ...begin]), ctx.int32('end', [x.shape[0]!, ...end]), ctx.int32('strides', [1, ...strides])],
    { shape: outputShape(ctx) },
    { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false },
  );
}
