// F.scaled_dot_product_attention and repeat_interleave (grouped-query attention's repeated key/value heads)
// against real torch (the project's .venv, torch 2.x): small fixtures
// written to a temporary folder, recorded and verified by one `torchport verify` on keras and every
// TFLite variant; then the refusals users see for what does not convert.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/testing.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const TARGETS = ['keras', 'tflite-fp32', 'tflite-fp16', 'tflite-dynamic-int8', 'tflite-int8'];
const QKV = '[[1, 2, 5, 8], [1, 2, 6, 8], [1, 2, 6, 4]]';

interface Case {
  readonly shapes: string;
  /** Statements of forward(self, q, k, v) separated by '; ', the last one a `return`. */
  readonly forward: string;
  /** Statements run in __init__, separated by '; '. */
  readonly init?: string;
}

const PASSING: Readonly<Record<string, Case>> = {
  plain: { shapes: QKV, forward: 'return F.scaled_dot_product_attention(q, k, v)' },
  rank3: { shapes: '[[2, 5, 8], [2, 6, 8], [2, 6, 4]]', forward: 'return F.scaled_dot_product_attention(q * 2, k, v)' },
  causal_scale: { shapes: '[[1, 2, 6, 8], [1, 2, 6, 8], [1, 2, 6, 4]]', forward: 'return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3)' },
  causal_more_keys: { shapes: QKV, forward: 'return F.scaled_dot_product_attention(q, k, v, is_causal=True)' },
  bool_mask_per_head: {
    shapes: QKV,
    init: "self.register_buffer('m', torch.rand(2, 5, 6, generator=torch.Generator().manual_seed(1)) > 0.3)",
    forward: 'return F.scaled_dot_product_attention(q, k, v, attn_mask=self.m)',
  },
  // A row that masks every key keeps finfo.min: PyTorch spreads its weight evenly there.
  float_mask_row_fully_masked: {
    shapes: QKV,
    init: "m = torch.zeros(5, 6); m[1] = torch.finfo(torch.float32).min; m[2, 3:] = torch.finfo(torch.float32).min; self.register_buffer('m', m)",
    forward: 'return F.scaled_dot_product_attention(q, k, v, attn_mask=self.m)',
  },
  float_mask: {
    shapes: QKV,
    init: "self.register_buffer('m', torch.randn(5, 6, generator=torch.Generator().manual_seed(1)))",
    forward: 'return F.scaled_dot_product_attention(q, k, v, attn_mask=self.m, dropout_p=0.0)',
  },
  // A folded causal mask the way transformers builds it: torch.arange comparisons, finfo.min where masked.
  float_mask_folded: {
    shapes: '[[1, 2, 6, 8], [1, 2, 6, 8], [1, 2, 6, 4]]',
    forward: 'i = torch.arange(6); m = torch.where(i[:, None] >= i[None, :], 0.0, torch.finfo(torch.float32).min)[None, None]; return F.scaled_dot_product_attention(q, k, v, attn_mask=m)',
  },
  computed_bool_mask: { shapes: QKV, forward: 'm = k.sum(-1, keepdim=True).transpose(-1, -2) > -0.5; return F.scaled_dot_product_attention(q, k, v, attn_mask=m)' },
  computed_float_mask: { shapes: QKV, forward: 'return F.scaled_dot_product_attention(q, k, v, attn_mask=v.mean(-1, keepdim=True).transpose(-1, -2))' },
  gqa: { shapes: '[[1, 4, 5, 8], [1, 2, 5, 8], [1, 2, 5, 8]]', forward: 'return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)' },
  gqa_float_mask: {
    shapes: '[[1, 6, 5, 8], [1, 2, 5, 8], [1, 2, 5, 4]]',
    init: "self.register_buffer('m', torch.randn(1, 6, 5, 5, generator=torch.Generator().manual_seed(1)))",
    forward: 'return F.scaled_dot_product_attention(q, k, v, attn_mask=self.m, enable_gqa=True, scale=0.5)',
  },
  // Llama's rotary position embedding: cos/sin tables folded from arange (constants, each used for q and k),
  // rotate_half as a cat of the negated upper half and the lower half, then causal attention.
  rotary: {
    shapes: '[[1, 2, 6, 8], [1, 2, 6, 8], [1, 2, 6, 4]]',
    forward:
      'inv = 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8)); freqs = torch.arange(6).float()[:, None] * inv[None]; emb = torch.cat((freqs, freqs), dim=-1); cos, sin = emb.cos(), emb.sin(); ' +
      'half = lambda x: torch.cat((-x[..., 4:], x[..., :4]), dim=-1); q = q * cos + half(q) * sin; k = k * cos + half(k) * sin; return F.scaled_dot_product_attention(q, k, v, is_causal=True)',
  },
  // Key/value heads repeated for their query heads before the attention (transformers without enable_gqa).
  gqa_repeat_interleave: {
    shapes: '[[1, 4, 5, 8], [1, 2, 5, 8], [1, 2, 5, 8]]',
    forward: 'return F.scaled_dot_product_attention(q, k.repeat_interleave(2, dim=1), torch.repeat_interleave(v, 2, dim=-3), is_causal=True)',
  },
  repeat_interleave_features: { shapes: '[[1, 2, 5, 4], [1, 2, 6, 8], [1, 2, 6, 4]]', forward: 'return F.scaled_dot_product_attention(q.repeat_interleave(2, dim=3), k, v)' },
  // Along the batch axis and with per-slice counts: the general gather at static positions (ops/movement.ts).
  repeat_interleave_batch: { shapes: QKV, forward: 'return F.scaled_dot_product_attention(q, k, v).repeat_interleave(2, dim=0)' },
  repeat_interleave_counts: { shapes: QKV, forward: 'return F.scaled_dot_product_attention(q, k, v).repeat_interleave(torch.tensor([1, 2]), dim=1)' },
  // Heads split from [B, T, E] tokens and merged back, as every transformer block does.
  heads: {
    shapes: '[[1, 5, 16], [1, 6, 16], [1, 6, 16]]',
    forward: 'q, k, v = (t.view(1, t.shape[1], 2, 8).transpose(1, 2) for t in (q, k, v)); return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(1, 5, 16)',
  },
};

const REFUSED: Readonly<Record<string, Case & { readonly message: RegExp }>> = {
  dropout: {
    shapes: QKV,
    forward: 'return F.scaled_dot_product_attention(q, k, v, dropout_p=0.1)',
    message: /F\.scaled_dot_product_attention.*dropout_p=0\.1 drops random attention weights on every call; pass dropout_p=0 at inference/s,
  },
  broadcast_batch: {
    shapes: '[[1, 2, 5, 8], [1, 1, 6, 8], [1, 1, 6, 4]]',
    forward: 'return F.scaled_dot_product_attention(q, k, v)',
    message: /query leading axes \[1, 2\] and key\/value leading axes \[1, 1\] differ; equal ones are supported \(for fewer key\/value heads pass enable_gqa=True\)/,
  },
  low_rank_computed_mask: {
    shapes: QKV,
    forward: 'return F.scaled_dot_product_attention(q, k, v, attn_mask=q[:, 0] @ k[:, 0].transpose(-1, -2) > 0)',
    message: /attn_mask computed from the inputs has rank 3, the scores rank 4: unsqueeze it/,
  },
};

function fixture(c: Case): string {
  return [
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    `INPUT_SHAPES = ${c.shapes}`,
    'SEED = 0',
    '',
    '',
    'class Attention(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    ...(c.init ?? 'pass').split('; ').map((line) => `        ${line}`),
    '',
    '    def forward(self, q, k, v):',
    ...c.forward.split('; ').map((line) => `        ${line}`),
    '',
    '',
    'def build():',
    '    return Attention()',
    '',
  ].join('\n');
}

interface Row {
  readonly model: string;
  readonly target: string;
  readonly status: string;
  readonly reason?: string;
}

describe('F.scaled_dot_product_attention and repeat_interleave against torch', () => {
  let dir: string;
  let rows: Row[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'torchport-sdpa-'));
    const cases = { ...PASSING, ...REFUSED };
    for (const [name, c] of Object.entries(cases)) await writeFile(join(dir, `${name}.py`), fixture(c));
    const files = Object.keys(cases).map((name) => join(dir, `${name}.py`));
    const result = await runCli(['verify', ...files, '--targets', TARGETS.join(','), '--json', '--report', join(dir, 'reports')], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
    rows = (JSON.parse(result.out) as { results: Row[] }).results;
  }, 1_200_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Full int8 is judged too but only asked to run: its error depends on the calibrated ranges (an
  // output beyond them on another seed is clipped), not on how the attention was converted.
  it.each(Object.keys(PASSING))('%s converts and matches torch on keras and every float TFLite variant; full int8 runs', (name) => {
    const mine = rows.filter((r) => r.model === name);
    expect([...new Set(mine.map((r) => r.target))].sort()).toEqual([...TARGETS].sort());
    expect(mine.filter((r) => r.target !== 'tflite-int8' && r.status !== 'pass').map((r) => `${r.target}: ${r.status} ${r.reason ?? ''}`)).toEqual([]);
    expect(mine.filter((r) => r.target === 'tflite-int8' && r.status === 'error').map((r) => r.reason)).toEqual([]);
  });

  it.each(Object.keys(REFUSED))('%s is refused naming the op, the module path and what to do', (name) => {
    const mine = rows.filter((r) => r.model === name);
    expect(mine.length).toBeGreaterThan(0);
    for (const row of mine) {
      expect(row.status).toBe('error');
      expect(row.reason).toMatch(REFUSED[name]!.message);
      expect(row.reason).toMatch(/module path '\(root\)'/);
    }
  });
});
