// The operator-suite cases the pointwise family converts, verified against real torch 1.13 on every
// float target (one verify call: one torch worker), and the refusals it words.
import { describe, expect, it } from 'vitest';
import { buildOneOp, verifySuiteCases } from './suite_testing.ts';

const CASES = [
  'remainder_scalar',
  'remainder_int',
  'remainder_negative_divisor',
  'remainder_tensor',
  'fmod_scalar',
  'fmod_int',
  'fmod_tensor',
  'rsub_scalar',
  'rsub_int_literal',
  'rsub_tensor',
  'floor_divide_scalar',
  'floor_divide_int_literal',
  'floor_divide_tensor',
  'div_floor_mode',
  'div_trunc_mode',
  'div_computed',
  'div_scalar_by_tensor',
  'true_divide_int',
  'reciprocal',
  'reciprocal_negative',
  'sign',
  'sgn_scaled',
  'sin',
  'cos',
  'tan',
  'sinh_cosh',
  'floor',
  'ceil',
  'round',
  'round_decimals',
  'frac',
  'softplus',
  'mish',
  'pow_tensor_exponent',
  'pow_operator_tensor',
  'pow_scalar_base',
  'pow_scalar_base_float',
  'square',
  'maximum_constant',
  'minimum_constant',
  'maximum_tensors',
  'fmax_constant_buffer',
  'log2',
  'log10',
  'log1p',
  'expm1',
  'exp2',
  'eq_int_after_round',
  'celu',
  'elu_alpha',
  'erfc',
  'hardshrink',
  'hardtanh_bounds',
  'hardtanh_default',
  'hardtanh_module_0_1',
  'hardtanh_module_negative',
  'logsigmoid',
  'mish_module',
  'selu',
  'softplus_beta_threshold',
  'softshrink',
  'softsign',
  'tanhshrink',
  'threshold',
  'trunc',
  // two inputs broadcast across the batch axis or of different ranks (lifted), torch.max(x, y)
  'mul_broadcast_middle',
  'sub_broadcast_batch',
  'add_broadcast_both',
  'add_broadcast_last',
  'div_broadcast_rank_up',
  'minimum_broadcast',
  'max_binary',
  // composites of existing layers
  'glu_last',
  'glu_dim1',
  'glu_module_dim_neg2',
  'softmin_last',
  'logical_and',
  'logical_or_not',
  'addcmul',
  'lerp_scalar',
  'hypot',
  'xlogy_positive',
  'clamp_tensor_bounds',
  'nan_to_num_plain',
  'nan_to_num_log',
  'nan_to_num_infinities',
  // inverse trigonometry through TFLite's ATAN2 (no ASIN / ACOS / ATAN builtins)
  'atan',
  'arctan_large',
  'atan_method',
  'asin',
  'asin_edges',
  'acos',
  'arccos_method',
  'atan2',
  'atan2_broadcast',
  'atan2_method_axes',
  'atan2_zero_signs',
  'addcdiv',
  'addcdiv_broadcast_method',
  // where / masked_fill with a mask of lower rank or another batch size (lifted into one sample)
  'where_broadcast_condition',
  'where_mask_rank2_scalar',
  'masked_fill_batch_broadcast_mask',
];

describe('pointwise ops against torch', () => {
  it('every suite case passes on keras and every float TFLite variant', { timeout: 900_000 }, async () => {
    const result = await verifySuiteCases('elementwise', 'ew_', CASES);
    expect(result.failing).toEqual([]);
    expect(result.missing).toEqual([]);
    expect(result.code).toBe(0);
  });
});

describe('pointwise refusals', () => {
  const build = buildOneOp;

  it('names the node, its module path and what is supported', () => {
    expect(build('torch.round', [{ value: 'v0' }], { decimals: { const: 0.5 } })).toThrow(/node 'block\.op'.*torch\.round.*'block'.*decimals=0\.5 \(an integer is needed\)/s);
    expect(build('torch.remainder', [{ value: 'v0' }, { const: 'two' }])).toThrow(/node 'block\.op'.*torch\.remainder.*remainder with operand "two" \(a number or a computed tensor is supported/s);
    expect(build('torch.div', [{ value: 'v0' }, { const: 2 }], { rounding_mode: { const: 'ceil' } })).toThrow(/node 'block\.op'.*rounding_mode="ceil" \(None, 'floor' and 'trunc' are supported\)/s);
    expect(build('F.softplus', [{ value: 'v0' }], { beta: { const: 0 } })).toThrow(/node 'block\.op'.*softplus with beta=0/s);
  });
});
