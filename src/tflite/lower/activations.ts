import { Tensor } from '../../tensor/index.ts';
// Keras activation names (as tfjs serializes them in layer configs) -> TFLite operators. The
// clamping ones (RELU, RELU6, RELU_N1_TO_1) become separate operators here and are fused into the
// producing convolution/dense/add by ./passes.ts.
import type { ActivationLowering } from './context.ts';

const same = (shape: readonly number[]) => ({ shape });

export const ACTIVATION_LOWERINGS: Readonly<Record<string, ActivationLowering>> = {
  relu: (ctx, x) => ctx.op('RELU', [x], same(x.shape)),
  relu6: (ctx, x) => ctx.op('RELU6', [x], same(x.shape)),
  sigmoid: (ctx, x) => ctx.op('LOGISTIC', [x], same(x.shape)),
  tanh: (ctx, x) => ctx.op('TANH', [x], same(x.shape)),
  softmax: (ctx, x) => ctx.op('SOFTMAX', [x], same(x.shape), { beta: 1 }),
  elu: (ctx, x) => ctx.op('ELU', [x], same(x.shape)),
  // tfjs 'gelu' is the exact erf form; 'gelu_new' the tanh approximation.
  gelu: (ctx, x) => ctx.op('GELU', [x], same(x.shape), { approximate: false }),
  gelu_new: (ctx, x) => ctx.op('GELU', [x], same(x.shape), { approximate: true }),
  // swish(x) = x * sigmoid(x): two operators, as the official converter writes it.
  swish: (ctx, x) => ctx.op('MUL', [x, ctx.op('LOGISTIC', [x], { shape: x.shape, suffix: 'sigmoid' })], same(x.shape)),
  hard_swish: (ctx, x) => ctx.op('HARD_SWISH', [x], same(x.shape)),
  // TFLite has no softplus: relu(x) + log(1 + exp(-|x|)), the form that neither overflows for
  // large x nor loses small ones (log(1 + exp(x)) would give inf past x = 88).
  softplus: (ctx, x) => {
    const shape = same(x.shape);
    const negAbs = ctx.op('NEG', [ctx.op('ABS', [x], { ...shape, suffix: 'abs' })], { ...shape, suffix: 'neg_abs' });
    const exp = ctx.op('EXP', [negAbs], { ...shape, suffix: 'exp' });
    const log = ctx.op('LOG', [ctx.op('ADD', [exp, ctx.constant('one', Tensor.fromNumbers([], [1]))], { ...shape, suffix: 'one_plus' })], { ...shape, suffix: 'log' });
    return ctx.op('ADD', [ctx.op('RELU', [x], { ...shape, suffix: 'relu' }), log], shape);
  },
};

/** Aliases seen in Keras (Python) configs for the same functions. */
const ALIASES: Readonly<Record<string, string>> = { silu: 'swish', hardswish: 'hard_swish', hardSwish: 'hard_swish', logistic: 'sigmoid' };

export function activationLowering(name: string): ActivationLowering | undefined {
  const key = ALIASES[name] ?? name;
  return Object.hasOwn(ACTIVATION_LOWERINGS, key) ? ACTIVATION_LOWERINGS[key] : undefined;
}
