// The reductions of the operator suite (suites/ops/reductions) that convert, verified against real
// torch on every float target, and the refusals users see for the rest.
import { describeOpCases } from './suite_cases.testing.ts';

const PASSING = [
  'max_dim1_values', 'max_dim_neg1_keepdim', 'min_dim2_values', 'min_dim_neg2_keepdim', 'max_dim1_rank4',
  'amax_dim1', 'amax_dims12', 'amax_dims_neg_keepdim', 'amin_dim_neg1', 'amin_dims23_keepdim',
  'prod_dim1', 'prod_dim_neg1_keepdim', 'prod_signed',
  'std_dim1', 'std_dim_neg1_keepdim_biased', 'std_dims23', 'var_dim1_biased', 'var_dim_neg1_keepdim', 'var_dims_neg2_neg1_keepdim_biased', 'var_mean_dim1', 'std_mean_dim_neg1',
  'norm_p1_dim1', 'norm_p2_dim_neg1_keepdim', 'norm_inf_dim1', 'norm_fro_dims12', 'norm_p3_dim2',
  'vector_norm_ord1_dim1', 'vector_norm_ord2_dim_neg1_keepdim', 'vector_norm_inf_dim_neg1', 'vector_norm_neg_inf_dim1', 'vector_norm_dims23',
  'normalize_default', 'normalize_p2_dim_neg1', 'normalize_p1_dim1', 'normalize_inf_dim2',
  'logsumexp_dim1', 'logsumexp_dim_neg1_keepdim', 'logsumexp_dims12', 'logsumexp_large',
  'topk_k2_values', 'topk_rank4_dim1',
];

const REFUSED: Readonly<Record<string, RegExp>> = {
  prod_dim0: /Tensor\.prod.*prod over dim 0 reduces the batch axis \(a Keras model keeps it\); reduce non-batch axes only/s,
  max_all: /Tensor\.max.*max over every axis reduces the batch axis too.*pass dim= a non-batch axis/s,
  std_all: /Tensor\.std.*std over every axis reduces the batch axis too.*pass dim= the non-batch axes/s,
  max_values_and_indices: /Tensor\.max.*the indices of max\(dim\) \(argmax is not supported; use \.values or amax\/amin\)/s,
  topk_k2_last: /torch\.topk.*the indices of topk \(only \.values converts: TFLite gives int32 indices where PyTorch gives int64\)/s,
  topk_smallest: /torch\.topk.*topk with largest=False \(take the topk of -x and negate the values\)/s,
};

describeOpCases('reductions of the operator suite', 'reductions', 'red', PASSING, REFUSED);
