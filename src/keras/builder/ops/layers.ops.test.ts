// The layer ops of the operator suite that convert (suites/ops/layers, suites/fixtures-models),
// verified against real torch on every float target, and the refusals of the layer families.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const FLOAT_TARGETS = ['keras', 'tflite-fp32', 'tflite-fp16', 'tflite-dynamic-int8'];

const RNN_CASES = [
  'layer_rnn_tanh_batch_first',
  'layer_rnn_relu_batch_first',
  'layer_rnn_seq_first',
  'layer_rnn_relu_seq_first_hn',
  'layer_rnn_bidirectional_two_layers',
  'layer_rnn_seq_first_bidirectional_two_layers_hn',
  'layer_rnn_zero_initial_state',
];

const CELL_CASES = ['layer_lstm_cell', 'layer_lstm_cell_c', 'layer_lstm_cell_hx', 'layer_lstm_cell_zero_h', 'layer_lstm_cell_twice', 'layer_gru_cell', 'layer_gru_cell_hx', 'layer_gru_cell_twice'];

const LAYERS = [
  // normalization (ops/norm.ts)
  'layer_layer_norm_channels_first',
  'layer_layer_norm_functional_affine',
  'layer_layernorm_chw',
  'layer_layernorm_last_two',
  'layer_layernorm_module_permuted',
  'layer_group_norm_functional',
  'layer_groupnorm_1d_input',
  'layer_groupnorm_1group',
  'layer_groupnorm_2groups',
  'layer_groupnorm_3d_input',
  'layer_groupnorm_no_affine',
  'layer_groupnorm_per_channel',
  'layer_instance_norm_functional',
  'layer_instancenorm1d',
  'layer_instancenorm1d_affine',
  'layer_instancenorm2d',
  'layer_instancenorm2d_affine',
  'layer_instancenorm2d_running_stats',
  'layer_batchnorm3d',
  // functional forms with weights from the call's arguments (ops/functional.ts)
  'layer_batch_norm_functional',
  'layer_batch_norm_functional_no_affine',
  'layer_batch_norm_functional_features',
  'layer_batch_norm_subclass_act',
  'layer_instance_norm_running_stats_functional',
  'layer_group_norm_functional_affine',
  'layer_conv2d_functional',
  'layer_conv2d_functional_bias_depthwise',
  'layer_conv2d_functional_grouped_same',
  'layer_conv2d_functional_standardized_weight',
  'layer_conv2d_functional_twice',
  'layer_conv1d_functional',
  'layer_conv_transpose2d_functional',
  'layer_conv1d_grouped_stride',
  'layer_conv1d_grouped_padded',
  'layer_conv1d_depthwise_same',
  // 3-D convolutions and pooling, grouped transposed convolutions (ops/conv.ts, ops/pool.ts)
  'layer_conv3d_k3_p1',
  'layer_conv3d_stride2',
  'layer_conv3d_grouped',
  'layer_conv3d_depthwise',
  'layer_conv3d_same_dilated_nobias',
  'layer_conv3d_tuple_pad_stride',
  'layer_conv3d_functional',
  'layer_conv_transpose3d',
  'layer_conv_transpose3d_k3',
  'layer_conv_transpose3d_grouped_output_padding',
  'layer_conv_transpose3d_functional',
  'layer_conv_transpose2d_grouped',
  'layer_conv_transpose2d_depthwise',
  'layer_conv_transpose2d_functional_grouped',
  // dilated transposed convolutions: the kernel dilated with zeros at transfer (TFLite's TRANSPOSE_CONV has no dilation)
  'layer_conv_transpose2d_dilated',
  'layer_conv_transpose2d_dilated_strided',
  'layer_conv_transpose3d_dilated',
  'layer_conv_transpose2d_functional_dilated',
  'layer_maxpool3d',
  'layer_maxpool3d_stride_pad',
  'layer_maxpool3d_ceil',
  'layer_max_pool3d_functional',
  'layer_avgpool3d',
  'layer_avgpool3d_pad_no_count',
  'layer_avg_pool3d_functional',
  'layer_adaptive_avg_pool3d_functional',
  // adaptive pooling (ops/pool.ts)
  'layer_adaptive_avgpool1d_nondividing',
  'layer_adaptive_avgpool2d_larger',
  'layer_adaptive_avgpool2d_nondividing',
  'layer_adaptive_avgpool2d_upscale_nondividing',
  'layer_adaptive_maxpool2d_nondividing',
  'layer_adaptive_avgpool3d',
  'layer_adaptive_maxpool3d',
  'layer_avg_pool1d_functional',
  'layer_max_pool1d_functional_ceil',
  // sequence-first LSTM / GRU (ops/recurrent.ts)
  'layer_lstm_seq_first',
  'layer_lstm_seq_first_bidirectional',
  'layer_lstm_seq_first_two_layers_hn',
  'layer_gru_seq_first',
  'layer_gru_seq_first_bidirectional_hn',
  'layer_lstm_seq_first_after_transpose',
  // nn.RNN: tfjs's SimpleRNN, Bidirectional when bidirectional (ops/recurrent.ts)
  ...RNN_CASES,
  // nn.LSTMCell / nn.GRUCell: Dense projections and pointwise layers (ops/cells.ts)
  ...CELL_CASES,
  // PReLU (ops/prelu.ts)
  'layer_prelu_functional',
  'layer_prelu_shared_two_widths',
  'layer_prelu_shared',
  'layer_prelu_per_channel',
  // F.interpolate(size=x.shape[-2:]) (capture of torch.Size arguments)
  'layer_interpolate_size_from_own_shape',
  'layer_interpolate_size_tuple_nonint',
  // 1-D resizing (ops/resize.ts)
  'layer_interpolate_1d_linear',
  'layer_interpolate_1d_nearest_scale',
  'layer_interpolate_1d_linear_align_down',
  'layer_upsample_1d_nearest_module',
  // issue 14: Softmax2d (ops/reduce.ts), RReLU in eval mode (ops/activation.ts), ConvTranspose1d and padding_mode reflect / replicate / circular (ops/conv.ts), LPPool and dilated max pooling (ops/pool.ts)
  'layer_softmax2d',
  'layer_rrelu_eval',
  'layer_conv_transpose1d',
  'layer_conv2d_reflect_padding',
  'layer_lppool2d',
  'layer_maxpool2d_dilation',
  'layer_rrelu_functional',
  'layer_conv_transpose1d_padded',
  'layer_conv_transpose1d_functional',
  'layer_conv2d_replicate_padding_same',
  'layer_conv1d_circular_padding_strided',
  'layer_lppool1d_ceil',
  'layer_lp_pool2d_functional_p3',
  'layer_maxpool2d_dilation_padded_ceil',
  'layer_max_pool1d_functional_dilated',
].map((name) => `suites/ops/layers/${name}.py`);
const MODELS = ['convnext_layernorm2d_stage', 'groupnorm_block', 'transformer_encoder_stack', 'alexnet_adaptive_pool', 'prelu_shared_channels', 'seg_head_interpolate'].map(
  (name) => `suites/fixtures-models/${name}.py`,
);

interface Row {
  readonly model: string;
  readonly target: string;
  readonly pass: boolean;
  readonly reason?: string;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'torchport-layers-ops-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * `torchport verify` in a child process, as scripts/op-coverage.ts runs it: the bridge can die on a
 * batch with a known ENOENT race (docs/op-coverage.md, "Found while measuring"), so a run that
 * leaves no report is retried.
 */
async function verify(fixtures: readonly string[], targets: readonly string[], tag: string): Promise<Row[]> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const report = join(work, `${tag}-${attempt}`);
    const cli = await execa(process.execPath, [join(ROOT, 'bin', 'torchport.mjs'), 'verify', 'suites/ops.json', ...fixtures, '--targets', targets.join(','), '--report', report, '--json'], {
      cwd: ROOT,
      reject: false,
      env: { ...process.env, CI: 'false' },
    });
    const json = cli.stdout.slice(cli.stdout.indexOf('{'));
    if (json.startsWith('{')) return (JSON.parse(json) as { results: Row[] }).results;
    if (!/ENOENT: no such file or directory, open '.*output_\d+\.npy'/.test(cli.stderr)) throw new Error(`torchport verify died: ${cli.stderr.slice(-2000)}`);
  }
  throw new Error('torchport verify died three times on the bridge race');
}

describe('layer ops of the operator suite', () => {
  it('convert and match torch on every float target', { timeout: 900_000 }, async () => {
    const all = [...LAYERS, ...MODELS];
    const first = await verify(all, FLOAT_TARGETS, 'float');
    // A fixture whose temporary golden failed its integrity check (a leftover model.onnx.tmp-<pid>
    // from the recorder, seen intermittently on this machine) has no rows: record it once more.
    const seen = new Set(first.map((row) => row.model));
    const missing = all.filter((fixture) => !seen.has(fixture.split('/').pop()!.replace(/\.py$/, '')));
    const rows = missing.length > 0 ? [...first, ...(await verify(missing, FLOAT_TARGETS, 'float-again'))] : first;
    const failed = rows.filter((row) => !row.pass).map((row) => `${row.model} ${row.target}: ${row.reason ?? 'comparison failed'}`);
    expect(failed).toEqual([]);
    const covered = new Set(rows.map((row) => `${row.model}/${row.target}`));
    for (const fixture of all) {
      const model = fixture.split('/').pop()!.replace(/\.py$/, '');
      for (const target of FLOAT_TARGETS) expect(covered.has(`${model}/${target}`), `${model} on ${target}`).toBe(true);
    }
  });

  it('calibrates full int8 for a layer applied twice (its calibration outputs get unique names)', { timeout: 600_000 }, async () => {
    // Both apply one Keras layer twice; the calibration model exposed both outputs under the layer's name and LiteRT refused it.
    const rows = await verify(
      ['layer_conv2d_functional_twice', 'layer_batch_norm_subclass_act'].map((name) => `suites/ops/layers/${name}.py`),
      ['tflite-int8'],
      'int8-shared',
    );
    expect(rows.map((row) => `${row.model}: ${row.reason ?? 'ran'}`).filter((line) => /calibration model/.test(line))).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(2);
  });

  it('meets the full-int8 tolerance on LayerNorm / GroupNorm / InstanceNorm (statistics kept float32)', { timeout: 900_000 }, async () => {
    // Before: 4.7-20 output steps where 4 are allowed (the row mean and 1 / std clipped to their calibrated int8 ranges).
    const cases = [
      'layer_layernorm_last',
      'layer_layernorm_chw',
      'layer_layernorm_rank4_last',
      'layer_layer_norm_functional_affine',
      'layer_layer_norm_channels_first',
      'layer_layernorm_module_permuted',
      'layer_groupnorm_2groups',
      'layer_instancenorm2d_affine',
      'layer_transformer_encoder_layer',
    ];
    await expectInt8Passes(cases, 'int8-norm');
  });

  it('meets the full-int8 tolerance on max pools padded with float32 lowest (their padding is left out of calibrated ranges)', { timeout: 600_000 }, async () => {
    // Before: the padded ceil-mode 2-D pool calibrated a 1.3e36 step (all-zero output), the padded dilated 1-D pool was 93 output steps off.
    const cases = ['layer_maxpool2d_dilation', 'layer_maxpool2d_dilation_padded_ceil', 'layer_max_pool1d_functional_dilated'];
    await expectInt8Passes(cases, 'int8-maxpool-padding');
  });

  /** Every case of the layers suite passes tflite-int8 against torch. */
  async function expectInt8Passes(cases: readonly string[], tag: string): Promise<void> {
    const rows = await verify(
      cases.map((name) => `suites/ops/layers/${name}.py`),
      ['tflite-int8'],
      tag,
    );
    expect(rows.filter((row) => !row.pass).map((row) => `${row.model}: ${row.reason ?? 'failed'}`)).toEqual([]);
    expect(new Set(rows.map((row) => row.model)).size).toBe(cases.length);
  }

  it('meets the full-int8 tolerance on nn.RNN (its recurrence loop kept float32) and on LSTMCell / GRUCell (all int8)', { timeout: 600_000 }, async () => {
    await expectInt8Passes([...RNN_CASES, ...CELL_CASES], 'int8-recurrent');
  });

  /** Writes a copy of a suite fixture with `from` replaced by `to` and verifies it on keras. */
  async function refusalOf(source: string, from: string, to: string, tag: string): Promise<Row | undefined> {
    const fixture = join(work, `${tag}.py`);
    const text = await readFile(join(ROOT, source), 'utf8');
    expect(text).toContain(from);
    await writeFile(fixture, text.replaceAll(from, to));
    return (await verify([fixture], ['keras'], tag))[0];
  }

  it('refuses F.prelu with a computed weight, naming the op, its module path and what to do', { timeout: 300_000 }, async () => {
    const row = await refusalOf('suites/ops/layers/layer_prelu_functional.py', 'F.prelu(x, self.a)', 'F.prelu(x, self.a * x.mean())', 'prelu_computed_weight');
    expect(row?.pass).toBe(false);
    expect(row?.reason).toContain("function torch.prelu at module path '(root)': F.prelu with a computed weight (only a parameter or a constant tensor is supported): make the slopes an nn.Parameter");
  });

  it('refuses F.batch_norm in training mode and with a computed weight, saying what to do', { timeout: 300_000 }, async () => {
    const source = 'suites/ops/layers/layer_batch_norm_functional.py';
    const call = 'F.batch_norm(x, self.rm, self.rv, self.w, self.b, False, 0.1, 1e-3)';
    const training = await refusalOf(source, call, call.replace('False', 'True'), 'batch_norm_training');
    expect(training?.reason).toContain(
      "function F.batch_norm at module path '(root)': F.batch_norm with training=True normalizes with the batch's own statistics: call model.eval() before converting",
    );
    const computed = await refusalOf(source, call, call.replace('self.w,', 'self.w * x.mean(),'), 'batch_norm_computed_weight');
    expect(computed?.reason).toContain(
      'F.batch_norm with a weight computed from the inputs (only a parameter, a buffer or a constant tensor can be a Keras weight): make it an nn.Parameter or a buffer',
    );
  });

  it('refuses F.conv2d with a kernel computed from the inputs', { timeout: 300_000 }, async () => {
    const row = await refusalOf('suites/ops/layers/layer_conv2d_functional.py', 'F.conv2d(x, self.w,', 'F.conv2d(x, self.w * x.mean(),', 'conv2d_computed_weight');
    expect(row?.reason).toContain("function torch.conv2d at module path '(root)': F.conv2d with a weight computed from the inputs");
  });

  it('refuses a grouped and dilated ConvTranspose2d, saying what to do', { timeout: 300_000 }, async () => {
    const row = await refusalOf('suites/ops/layers/layer_conv_transpose2d_dilated.py', 'dilation=2)', 'dilation=2, groups=2)', 'conv_transpose2d_grouped_dilated');
    expect(row?.pass).toBe(false);
    expect(row?.reason).toContain(
      "module ConvTranspose2d at module path 'm': a grouped and dilated ConvTranspose2d (TFLite's transposed convolutions have no dilation, and a grouped kernel is not dilated at transfer): build it with dilation=1, or dilate the kernel with zeros yourself",
    );
  });

  it('refuses an RReLU left in training mode (a random slope per element), saying what to do', { timeout: 300_000 }, async () => {
    const row = await refusalOf('suites/ops/layers/layer_rrelu_eval.py', 'return self.m(x)', 'self.m.training = True\n        return self.m(x)', 'rrelu_training');
    expect(row?.pass).toBe(false);
    expect(row?.reason).toContain("module RReLU at module path 'm': RReLU in training mode draws a random slope per element: call model.eval() (or .eval() on the module) before converting");
  });

  it('refuses an RNN whose initial state is computed from the inputs, and an unbatched GRUCell input, saying what to do', { timeout: 300_000 }, async () => {
    const computed = await refusalOf('suites/ops/layers/layer_rnn_zero_initial_state.py', 'torch.zeros(1, 2, 6)', 'torch.zeros(1, 2, 6) + x.mean()', 'rnn_computed_state');
    expect(computed?.pass).toBe(false);
    expect(computed?.reason).toContain("module RNN at module path 'm': an initial state (h_0 / c_0) computed from the inputs is not supported; the converted layers start from zeros");
    const unbatched = await refusalOf('suites/ops/layers/layer_gru_cell.py', 'return self.m(x)', 'return self.m(x[0])', 'gru_cell_unbatched');
    expect(unbatched?.pass).toBe(false);
    expect(unbatched?.reason).toContain("module GRUCell at module path 'm': an input of shape [8]; the converted cell reads a batch (batch, 8) (give an unbatched input a batch axis)");
  });

  it('refuses a sequence-first GRU whose input Keras holds time first, saying what to do', { timeout: 300_000 }, async () => {
    const row = await refusalOf('suites/ops/layers/layer_gru_seq_first.py', 'self.m(x)[0]', 'self.m(x * 2)[0]', 'gru_time_first_value');
    expect(row?.reason).toContain(
      "module GRU at module path 'm': batch_first=False on a value held time-first in Keras (layout [0, 1, 2]), whose batch axis Keras cannot move: feed the module a model input directly or x.transpose(0, 1) of a batch-first value, or build it with batch_first=True",
    );
  });
});
