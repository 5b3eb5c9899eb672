import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing.ts';

const repo = new URL('../../../', import.meta.url).pathname;

function cli(argv: string[]) {
  return runCli(argv, { cwd: repo, env: { ...process.env, CI: 'true', TORCHPORT_PYTHON: '/nonexistent/python3' } });
}

describe.shuffle('torchport convert, then verify --artifacts on the exact bytes', () => {
  // Tests run in any order: the conversion happens in beforeAll, tampering works on a copy.
  let out: string;
  let converted: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'convert-test-'));
    converted = await cli(['convert', 'golden/conv_dw_bn_relu6_linear', '--out', out]);
  }, 180_000);
  afterAll(() => Promise.all([out, `${out}-tampered`, `${out}-reports`, `${out}-mse`, `${out}-bad`].map((dir) => rm(dir, { recursive: true, force: true }))));

  it('writes the Keras model (TF.js + .h5), four TFLite variants and conversion.json', async () => {
    const result = converted;
    expect(result.err).not.toMatch(/torchport:/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/conv_dw_bn_relu6_linear: Keras model with \d+ layers, \d+ parameters, 0 inserted permutes/);
    expect((await readdir(out)).sort()).toEqual(['conversion.json', 'keras', 'model.dynamic-int8.tflite', 'model.fp16.tflite', 'model.int8.tflite', 'model.tflite']);
    expect((await readdir(join(out, 'keras'))).sort()).toEqual(['group1-shard1of1.bin', 'model.h5', 'model.json', 'model.keras', 'torchport_layers.py']);
    const record = JSON.parse(await readFile(join(out, 'conversion.json'), 'utf8'));
    expect(record.representative).toMatchObject({ count: 32, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    for (const variant of ['fp32', 'fp16', 'dynamic-int8', 'int8']) expect(record.tflite[variant].operators['TRANSPOSE'] ?? 0).toBe(0);
  });

  it('verify --artifacts runs the written files against the golden and passes', async () => {
    const result = await cli([
      'verify',
      'golden/conv_dw_bn_relu6_linear',
      '--artifacts',
      out,
      '--targets',
      'keras,tflite-fp32,tflite-fp16,tflite-dynamic-int8,tflite-int8',
      '--report',
      `${out}-reports`,
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/conv_dw_bn_relu6_linear\s+tflite-int8\s+3\/3/);
  });

  it('refuses artifacts of another model, and artifacts whose bytes changed after conversion', async () => {
    const other = await cli(['verify', 'golden/seed_single_conv', '--artifacts', out, '--targets', 'keras', '--report', `${out}-reports`]);
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/were converted from conv_dw_bn_relu6_linear, not seed_single_conv/);
    const copy = `${out}-tampered`;
    await cp(out, copy, { recursive: true });
    const path = join(copy, 'model.fp16.tflite');
    const bytes = await readFile(path);
    bytes[bytes.length - 5]! ^= 0xff;
    await writeFile(path, bytes);
    const tampered = await cli(['verify', 'golden/conv_dw_bn_relu6_linear', '--artifacts', copy, '--targets', 'tflite-fp16', '--report', `${out}-reports`]);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/model\.fp16\.tflite: changed since conversion/);
  });

  it('exits 2 on bad input', async () => {
    const bad = `${out}-bad`;
    expect((await cli(['convert', 'golden/nope', '--out', bad])).code).toBe(2);
    expect((await cli(['convert', 'golden/seed_single_conv', '--out', bad, '--quantize', 'int4'])).err).toMatch(/unknown variant\(s\) int4/);
    const observer = await cli(['convert', 'golden/seed_single_conv', '--out', bad, '--observer', 'median']);
    expect(observer.code).toBe(2);
    expect(observer.err).toMatch(/Allowed choices are min-max, percentile, mse, entropy/);
  });

  it('--observer picks the int8 calibration observer', async () => {
    const result = await cli(['convert', 'golden/seed_single_conv', '--out', `${out}-mse`, '--quantize', 'int8', '--observer', 'mse']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/int8 calibration: 32 seeded samples .*, observer mse/);
    expect(JSON.parse(await readFile(join(`${out}-mse`, 'conversion.json'), 'utf8')).representative.observer).toBe('mse');
  });
});

describe('torchport convert --keep-float', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'convert-keep-float-'));
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('keeps the given module paths float32 in the int8 model and records them in conversion.json', async () => {
    const result = await cli(['convert', 'golden/vit_tiny', '--out', out, '--quantize', 'int8', '--keep-float', 'blocks.1.attn, head']);
    expect(result.err).not.toMatch(/torchport:/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/int8 kept in float32: blocks\.1\.attn \(\d+ layers: .*blocks\.1\.attn\.softmax/);
    expect(result.out).toMatch(/int8 kept in float32: head \(1 layer: head\)/);
    const record = JSON.parse(await readFile(join(out, 'conversion.json'), 'utf8'));
    expect(record.tflite.int8.keptFloat.map((k: { path: string }) => k.path)).toEqual(['blocks.1.attn', 'head']);
  });

  it('lists the index arithmetic full int8 keeps unquantized (token ids cast to int) with its reason, in the output and conversion.json', async () => {
    const result = await cli(['convert', 'golden/text_padding_attention', '--out', out, '--quantize', 'int8']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/int8 kept in float32: index arithmetic \(2 layers: long, embed\): computes indices .*int8 rounding would change the ids/);
    const record = JSON.parse(await readFile(join(out, 'conversion.json'), 'utf8'));
    expect(record.tflite.int8.keptFloatIndices.layers).toEqual(['long', 'embed']);
    expect(record.tflite.int8.keptFloatIndices.reason).toMatch(/^computes indices/);
  });

  it('is a usage error without the int8 variant, and names paths that match no layer', async () => {
    const noInt8 = await cli(['convert', 'golden/vit_tiny', '--out', out, '--quantize', 'fp32', '--keep-float', 'head']);
    expect(noInt8.code).toBe(2);
    expect(noInt8.err).toMatch(/--keep-float applies to the int8 variant/);
    const unknown = await cli(['convert', 'golden/vit_tiny', '--out', out, '--quantize', 'int8', '--keep-float', 'head,blocks.7']);
    expect(unknown.code).not.toBe(0);
    expect(`${unknown.out}${unknown.err}`).toMatch(/'blocks\.7' matches no Keras layer/);
  });
});

describe('torchport convert --recurrence', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'convert-recurrence-'));
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('writes the GRU as one WHILE by default and unrolled on request, with fewer operators looped', async () => {
    const ops: Record<string, number> = {};
    for (const recurrence of ['loop', 'unroll']) {
      const result = await cli(['convert', 'golden/gru_sequence', '--out', join(out, recurrence), '--quantize', 'fp32', '--recurrence', recurrence]);
      expect(result.code).toBe(0);
      const record = JSON.parse(await readFile(join(out, recurrence, 'conversion.json'), 'utf8'));
      const histogram: Record<string, number> = record.tflite.fp32.operators;
      ops[recurrence] = Object.values(histogram).reduce((a, b) => a + b, 0);
      expect(histogram['WHILE'] ?? 0).toBe(recurrence === 'loop' ? 1 : 0);
    }
    expect(ops['loop']).toBeLessThan(ops['unroll']!);
  });

  it('exits 2 on an unknown strategy, naming the allowed ones', async () => {
    const result = await cli(['convert', 'golden/gru_sequence', '--out', out, '--recurrence', 'fused']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/Allowed choices are loop, unroll/);
  });
});
