// The operator-suite shape cases that convert, verified against real torch on every float target
// in one verify call, and the shape family's refusals.
import { describe, expect, it } from 'vitest';
import { verifyOpCaseFiles } from './suite_cases.testing.ts';
import { buildOneOp, verifySuiteCases } from './suite_testing.ts';

// expand_as_shape_only: the second input is read for its shape only (the TFLite lowering crashed on it).
const CASES = [
  'expand_as_shape_only',
  'expand_as_gate',
  'expand_middle',
  'expand_as_parameter',
  'expand_rank_up',
  'expand_rank_up_batch',
  'broadcast_to',
  // two inputs of different batch sizes (Keras predict sliced the second; TFLite gave it the first's batch)
  'broadcast_tensors',
  'broadcast_tensors_sum',
  'index_put_constant',
  'roll_last',
  'roll_negative_shift_dim1',
  'roll_swin_shift',
  'roll_two_dims',
  'roll_flattened',
  'roll_batch_axis',
  'flip_channels',
  'flip_hw',
  'flip_last',
  'fliplr',
  'flip_batch',
  'repeat_middle',
  'repeat_spatial',
  'repeat_batch',
  'repeat_rank_up',
  'tile_last',
  'tile_middle',
  'tile_rank_up',
  'repeat_interleave_dim1',
  'repeat_interleave_last',
  'repeat_interleave_tensor_repeats',
  'repeat_interleave_flat',
  't_2d',
  'movedim',
  'swapaxes',
  'narrow',
  'unflatten',
  'reshape_as',
  'view_as',
  // attribute reads the capture records as nodes (Tensor.T / Tensor.mT / Tensor.H / Tensor.mH)
  't_attr',
  'mT',
  'mT_rank4',
  'mH_real',
  'H_real_2d',
  'T_rank3',
  'pixel_shuffle_f',
  'pixel_shuffle_module',
  'pixel_shuffle_r3',
  'pixel_unshuffle_f',
  'pixel_unshuffle_module',
  'pixel_shuffle_roundtrip',
  'unfold_k2_s2',
  'unfold_k3_p1',
  'unfold_module_dilated',
  'fold_k2_s2',
  'fold_module_overlap',
  'unfold_fold_roundtrip',
  'tensor_unfold_windows',
  'tensor_unfold_overlap',
  'gather_dim1',
  'gather_last',
  'take_along_dim',
  'gather_computed_from_constants',
  // a constant gathered at computed indices (RoBERTa's token type ids), with and without per-position offsets
  'gather_constant_at_computed_ids',
  'gather_constant_varying_rows',
  'gather_roberta_token_types',
  'scatter_dim1_src',
  'scatter_value',
  'scatter_add',
  'index_add_constant',
  'index_select_dim1',
  'masked_select_constant_mask',
  'index_list_dim1',
  'index_list_batch',
  'index_list_last_repeated',
  'index_negative_list',
  'index_two_lists',
  'index_bool_constant',
  'index_bool_buffer',
  'slice_step2',
  'slice_offset_step2',
  'slice_negative_start',
  'slice_negative_stop',
  'select_negative',
  'slice_start_stop_step',
  'slice_hw_steps',
  'select_then_unsqueeze',
  'slice_batch',
  'select_batch',
  'copy_into_empty',
  'copy_into_zeros',
  // assignment into a tensor and writes into an indexing view of it (recorded by the capture as Tensor.__setitem__)
  'setitem_column',
  'setitem_list_rows',
  'setitem_slice_tensor',
  'setitem_add_into_view',
  'setitem_view_mul_',
  'setitem_into_zeros',
  'setitem_step_negative',
  'setitem_bool_mask_buffer',
  'setitem_batch_row',
  'setitem_broadcast_row',
  // the batch axis with static shapes
  'cat_batch',
  'stack_batch',
  'squeeze_batch',
  'flatten_1d',
  'reshape_minus1',
  'view_batch_merge',
  'permute_batch_moved',
  'transpose_batch',
  'unbind_batch',
  'split_batch',
  'split_batch_sizes',
  'chunk_batch',
  'unbind_qkv_timm',
  'unbind_last',
  'mobilevit_unfold',
  'mobilevit_fold',
  // an unfolded value beside the model's batch-sized values (a Concatenate refused [2, 3, 4] beside [null, 3, 4])
  'cat_with_batch_folded',
  'pad_reflect',
  'pad_reflect_uneven',
  'pad_replicate',
  'pad_circular',
  'pad_constant_value',
  'pad_constant_channels',
  'reflection_pad2d',
  'replication_pad2d',
  'reflection_pad1d',
  'replication_pad1d',
  'zero_pad2d',
  'constant_pad1d',
  'identity_return_input',
  'identity_module',
  'identity_clone',
  'identity_contiguous_view',
  'identity_dropout',
  'chunk_last',
  'split_sizes',
  'unsqueeze_negative',
  'squeeze_dim',
  'squeeze_all',
  'permute_nhwc',
  'flatten_start1',
  'view_split_heads',
  'cat_channels_negative',
  'stack_last',
  'diag_embed_like_eye',
  'triu',
  'tril_diagonal',
];

describe('shape ops against torch', () => {
  it('every suite case passes on keras and every float TFLite variant', { timeout: 1_200_000 }, async () => {
    const result = await verifySuiteCases('shape', 'shape_', CASES);
    expect(result.failing).toEqual([]);
    expect(result.missing).toEqual([]);
    expect(result.code).toBe(0);
  });
});

// Full int8 of gathers at computed ids: the id arithmetic (x * 4, .long(), the per-row offsets)
// stays unquantized (src/tflite/quantize/index-values.ts). Before, gather_constant_varying_rows
// was 138.5 output steps off: the quantized ids truncated to the neighbouring rows.
const INT8_CASES = ['gather_constant_at_computed_ids', 'gather_constant_varying_rows', 'gather_roberta_token_types', 'gather_computed_from_constants'];

describe('shape ops against torch under full int8', () => {
  it('gathers at computed ids pass tflite-int8 (index arithmetic kept out of int8)', { timeout: 600_000 }, async () => {
    const { code, rows } = await verifyOpCaseFiles('shape', 'shape_', INT8_CASES, ['tflite-int8']);
    expect(rows.filter((row) => row.status !== 'pass').map((row) => `${row.model}: ${row.status} ${row.reason ?? ''}`)).toEqual([]);
    expect(new Set(rows.map((row) => row.model))).toEqual(new Set(INT8_CASES.map((name) => `shape_${name}`)));
    expect(code).toBe(0);
  });
});

describe('shape family refusals', () => {
  const build = buildOneOp;
  const node = /node 'block\.op'.*'block'/s;

  it('name the node, its module path and what to do', () => {
    expect(build('torch.gather', [{ value: 'v0' }, { const: 1 }, { value: 'v0' }])).toThrow(node);
    expect(build('torch.gather', [{ value: 'v0' }, { const: 1 }, { value: 'v0' }])).toThrow(
      /index is computed from the inputs \(only constant index tensors are supported: register the indices as a buffer\)/,
    );
    expect(build('Tensor.__getitem__', [{ value: 'v0' }, { list: [{ slice: [{ const: null }, { const: null }, { const: null }] }, { value: 'v0' }] }])).toThrow(
      /indexes with a tensor computed from the inputs \(only constant indices are supported/,
    );
    expect(build('F.pad', [{ value: 'v0' }, { list: [{ const: 4 }, { const: 4 }] }], { mode: { const: 'reflect' } })).toThrow(
      /reflect padding of 4 on an axis of size 4 \(PyTorch needs padding < size\)/,
    );
    expect(build('F.pad', [{ value: 'v0' }, { list: [{ const: 1 }, { const: 1 }] }], { mode: { const: 'wrap' } })).toThrow(/padding mode 'wrap' \(one of constant, reflect, replicate, circular\)/);
    expect(build('torch.roll', [{ value: 'v0' }, { list: [{ const: 1 }, { const: 2 }] }])).toThrow(/roll without dims takes one shift, got 2/);
    expect(build('Tensor.index_add', [{ value: 'v0' }, { const: 1 }, { list: [{ const: 0 }] }, { value: 'v0' }], { alpha: { const: 2 } })).toThrow(
      /index_add with alpha != 1 \(scale the source first\)/,
    );
  });
});
