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
  'max_values_and_indices', 'min_values_and_indices_keepdim', 'argmax_dim1', 'argmax_dim_neg1_keepdim', 'argmin_dim2',
  'argmin_dim_neg2_keepdim', 'argmax_dim1_float', 'topk_k2_last', 'topk_k1_dim1', 'topk_smallest', 'topk_indices',
  'sort_last_values', 'sort_descending', 'argsort_last', 'all_positive', 'any_large', 'count_nonzero_positive', 'median_dim1_values',
  // across the batch axis: the whole tensor lifted into one sample
  'max_all', 'min_all', 'max_dim0_batch', 'amax_all_axes', 'amin_dim0', 'prod_all', 'prod_dim0', 'std_all', 'std_all_biased',
  'var_all', 'norm_fro_all', 'vector_norm_all', 'sum_all', 'mean_all', 'sum_dim0', 'mean_dim0_keepdim', 'mean_dims023',
  'cumsum_dim0', 'argmax_all', 'argmin_all', 'argmax_dim0_batch',
  // a 0-d result used by a later op (its missing axis 0 was "moved back" by a Permute of dims [-1])
  'sum_all_scaled',
  // cumprod, cummax / cummin values: a log-depth scan of SLICE, PADV2 and MUL / MAXIMUM / MINIMUM (TFLite has no CUMPROD)
  'cumprod_dim_neg1', 'cumprod_dim1', 'cumprod_dim0', 'cumprod_rank4_dim_neg2', 'cumprod_signed_long',
  'cummax_dim1_values', 'cummax_last_values_method', 'cummin_dim0_values', 'cummin_rank4_dim1_values',
];

const REFUSED: Readonly<Record<string, RegExp>> = {
  cummax_indices: /torch\.cummax.*the indices of cummax \(only \.values converts\)/s,
};

describeOpCases('reductions of the operator suite', 'reductions', 'red', PASSING, REFUSED);
