// The seed workflow end to end from the CLI: a hand-written Keras model, filled with the PyTorch
// weights by `transfer`, converted to the four TFLite variants by `convert --keras`, each checked
// against the PyTorch golden by `verify --tflite`.
import { tf } from '../../runtimes/tfjs/index.ts';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveTfjsLayersModel } from '../../keras/io/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { encodeNpy, seededInputs } from '../../tensor/index.ts';
import { runCli } from '../testing.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GOLDEN = join(ROOT, 'golden', 'seed_single_conv');
const env = { ...process.env, CI: 'false' };
let dir: string;
const cli = (...argv: string[]) => runCli(argv, { cwd: dir, env });

beforeAll(async () => {
  await initTfjsBackend();
  dir = await mkdtemp(join(tmpdir(), 'convert-keras-'));
  // The seed document's model written by hand in Keras: one 3x3 convolution, 3 -> 1 channels, no bias.
  const image = tf.input({ shape: [224, 224, 3], name: 'image' });
  const conv = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' }).apply(image) as tf.SymbolicTensor;
  await saveTfjsLayersModel(tf.model({ inputs: image, outputs: conv }), join(dir, 'hand'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('transfer -> convert --keras -> verify --tflite', () => {
  it('writes the four variants from the filled Keras model, and each matches PyTorch', async () => {
    const filled = await cli('transfer', '--weights', join(GOLDEN, 'weights.safetensors'), '--keras', join('hand', 'model.json'), '--out', 'filled', '--module-names', '{"conv": ""}');
    expect(filled.code, filled.err).toBe(0);
    // Calibration samples in the Keras model's layout (NHWC), one stack of 8.
    const samples = seededInputs([[8, 224, 224, 3]], { kind: 'normal', mean: 0, std: 1 }, 7)[0]!;
    await writeFile(join(dir, 'calibration.npy'), encodeNpy(samples));
    const converted = await cli('convert', '--keras', join('filled', 'model.h5'), '--out', 'tflite', '--representative', 'calibration.npy');
    expect(converted.code, converted.err).toBe(0);
    expect(converted.out).toMatch(/inputs image \[1, 224, 224, 3\]/);
    expect(converted.out).toMatch(/int8 calibration: calibration\.npy \(8 samples\)/);
    const files = (await readdir(join(dir, 'tflite'))).sort();
    expect(files).toEqual(['model.dynamic-int8.tflite', 'model.fp16.tflite', 'model.int8.tflite', 'model.tflite']);

    const verified = await cli('verify', GOLDEN, '--tflite', ...files.map((f) => join('tflite', f)), '--targets', 'file-tflite', '--report', 'reports', '--json');
    expect(verified.code, verified.err).toBe(0);
    const report = JSON.parse(verified.out) as { results: Array<{ target: string; pass: boolean }> };
    expect([...new Set(report.results.map((r) => r.target))].sort()).toEqual(['file-tflite-dynamic-int8', 'file-tflite-fp16', 'file-tflite-fp32', 'file-tflite-int8']);
    expect(report.results.every((r) => r.pass)).toBe(true);
  });

  it('without --representative, int8 calibrates on seeded samples and says so', async () => {
    const converted = await cli('convert', '--keras', join('hand', 'model.json'), '--out', 'seeded', '--quantize', 'int8');
    expect(converted.code, converted.err).toBe(0);
    expect(converted.err).toMatch(/warning: int8 calibrated on 32 seeded samples .* give --representative/);
  });

  it('refuses what it cannot convert, saying what and where', async () => {
    await writeFile(join(dir, 'junk.h5'), 'not an HDF5 file');
    const junk = await cli('convert', '--keras', 'junk.h5', '--out', 'junk');
    expect(junk.code).toBe(2);
    expect(junk.err).toMatch(/junk\.h5/);
    const native = await cli('convert', '--keras', 'model.keras', '--out', 'x');
    expect(native.err).toMatch(/model\.keras: no such file/);
    await writeFile(join(dir, 'model.keras'), 'zip');
    const keras3 = await cli('convert', '--keras', 'model.keras', '--out', 'x');
    expect(keras3.code).toBe(2);
    expect(keras3.err).toMatch(/save it as \.h5 from Keras/);
    const both = await cli('convert', GOLDEN, '--keras', join('hand', 'model.json'), '--out', 'x');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/either a golden/);
    // A Keras input with an open spatial size cannot become a static TFLite model.
    const open = tf.input({ shape: [null, null, 3], name: 'anysize' });
    await saveTfjsLayersModel(tf.model({ inputs: open, outputs: tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(open) as tf.SymbolicTensor }), join(dir, 'open'));
    const openRun = await cli('convert', '--keras', join('open', 'model.json'), '--out', 'x');
    expect(openRun.code).toBe(2);
    expect(openRun.err).toMatch(/input anysize has shape \[\?, \?, \?, 3\]; TFLite needs every dimension but the batch fixed/);
    await expect(readdir(join(dir, 'x'))).rejects.toThrow();
  });
});
