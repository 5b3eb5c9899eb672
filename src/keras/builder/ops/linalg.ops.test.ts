// The matrix products of the operator suite (suites/ops/linalg) that convert, verified against real
// torch on every float target, and the refusals users see for the rest.
import { describeOpCases } from './suite_cases.testing.ts';

const PASSING = [
  'mm_constant_right',
  'matmul_constant_right_3d',
  'matmul_constant_right_4d',
  'matmul_buffer_right',
  'linear_functional',
  'linear_functional_no_bias',
  'addmm',
  'matmul_3d_3d',
  'matmul_4d_4d',
  'bmm',
  'matmul_self_transpose',
  'attention_head_split',
  'einsum_bmm',
  'einsum_attention_scores',
  'einsum_attention_values',
  'einsum_ellipsis',
  'einsum_constant_projection',
  // every rank combination and broadcast batch axes: computed on the whole tensors (lifted)
  'matmul_1d_1d',
  'matmul_1d_2d',
  'matmul_2d_1d',
  'matmul_2d_2d',
  'matmul_2d_3d',
  'matmul_3d_2d',
  'matmul_3d_1d',
  'matmul_1d_3d',
  'matmul_4d_2d',
  'matmul_4d_3d_broadcast',
  'matmul_batch_broadcast_1',
  'mm',
  'mv',
  'dot',
  'outer',
  'matmul_constant_left',
  'addmm_alpha_beta',
  'addmm_inputs',
  'baddbmm',
  'baddbmm_alpha_beta',
  'addbmm',
  'addbmm_alpha_beta',
  'addmv',
  'einsum_mm',
  'einsum_outer',
  'einsum_rowwise_dot',
  'einsum_transpose',
  'einsum_permute_nhwc',
  'einsum_sum_all_but_batch',
  'tensordot',
  // a letter repeated within an operand reads its diagonal (a gather at static positions)
  'einsum_trace',
  'einsum_trace_2d',
  'einsum_diagonal',
  'einsum_batch_diagonal',
  'einsum_diagonal_weighted',
  // a constant with the batch axes (bmm), a 2-D constant projecting a non-last axis (a Dense on the channels)
  'bmm_constant',
  'einsum_channel_mix',
  // vector products as composites (./vector.ts)
  'kron',
  'kron_3d',
  'cross_product',
  'cross_dim1',
  'cosine_similarity',
  'cosine_similarity_channels',
  'pairwise_cdist',
  'cdist_p1',
  'cdist_large_mm',
  'bilinear_module',
  'bilinear_module_no_bias',
  'bilinear_functional_3d',
  'diagonal_2d',
  'diagonal_offset_last_two',
  'diagonal_negative_offset',
  'diagonal_dims_swapped',
  'trace',
  'trace_method',
];

const REFUSED: Readonly<Record<string, RegExp>> = {};

// LeViT's attention: q, k and v sliced from one projection are transposed once together, not once
// each (3 + the head merge = 4 before src/tflite/lower/transposes.ts).
const TRANSPOSES = { attention_head_split: 2 };

describeOpCases('matrix products of the operator suite', 'linalg', 'la', PASSING, REFUSED, TRANSPOSES);
