// The matrix products of the operator suite (suites/ops/linalg) that convert, verified against real
// torch on every float target, and the refusals users see for the rest.
import { describeOpCases } from './suite_cases.testing.ts';

const PASSING = [
  'mm_constant_right', 'matmul_constant_right_3d', 'matmul_constant_right_4d', 'matmul_buffer_right',
  'linear_functional', 'linear_functional_no_bias', 'addmm',
  'matmul_3d_3d', 'matmul_4d_4d', 'bmm', 'matmul_self_transpose',
  'einsum_bmm', 'einsum_attention_scores', 'einsum_attention_values', 'einsum_ellipsis', 'einsum_constant_projection',
];

const REFUSED: Readonly<Record<string, RegExp>> = {
  matmul_constant_left: /Tensor\.matmul.*a product whose left operand is a constant \(transpose it: \(x\.mT @ W\.mT\)\.mT, or use nn\.Linear\)/s,
  bmm_constant: /torch\.bmm.*a product with a constant of rank 3 \(only a 2-D constant matrix becomes a Dense layer; use nn\.Linear\)/s,
  addmm_alpha_beta: /torch\.addmm.*addmm of computed matrices \(only torch\.addmm\(bias, x, W\) with a parameter W and bias converts: use nn\.Linear\)/s,
  einsum_transpose: /torch\.einsum.*einsum 'bij->bji' \(only two-operand matrix products convert; write other contractions with permute \/ sum \/ \*\)/s,
  einsum_channel_mix: /torch\.einsum.*einsum 'bchw,oc->bohw' with a constant operand \(only a projection of the last axis, like 'bnd,de->bne', converts; use nn\.Linear\)/s,
};

describeOpCases('matrix products of the operator suite', 'linalg', 'la', PASSING, REFUSED);
