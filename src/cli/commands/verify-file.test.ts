// `torchport verify GOLDEN --tflite FILE / --keras FILE` on files made by TensorFlow's own tools
// (scripts/make-external-models.py: TFLiteConverter, Keras 3) from torchport's Keras model, on a
// planted fault, on files that do not fit the golden, and on hostile files.
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertGolden, writeArtifacts } from '../../convert/index.ts';
import { loadGolden } from '../../harness/index.ts';
import { loadTfjsLayersModel, saveTfjsLayersModel } from '../../keras/io/index.ts';
import { TfWorker } from '../../runtimes/tf-worker/index.ts';
import { workerHas } from '../../runtimes/tf-worker/testing.ts';
import { runCli } from '../testing.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GOLDEN = join(ROOT, 'golden', 'resnet_basic_block');
const worker = new TfWorker();
const available = await workerHas(worker, 'keras');
afterAll(() => worker.close());

interface Row {
  target: string;
  status: string;
  pass: boolean;
  reason?: string;
}
interface Report {
  summary: { pass: boolean };
  results: Row[];
  targets: Array<{ target: string; divergence?: { first: { module: string } | null } }>;
}

let dir: string;
const verify = async (...args: string[]) => {
  const result = await runCli(['verify', GOLDEN, '--report', join(dir, 'reports'), '--json', ...args], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
  const report = result.out.trim().startsWith('{') ? (JSON.parse(result.out) as Report) : null;
  return { ...result, report, targets: [...new Set(report?.results.map((r) => r.target))] };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-file-'));
  const conversion = await convertGolden(await loadGolden(GOLDEN), { variants: ['fp32'] });
  await writeArtifacts(conversion, join(dir, 'torchport'));
  conversion.keras.dispose();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('files written by TensorFlow', () => {
  beforeAll(async () => {
    const made = await execa(worker.executable(), [join(ROOT, 'scripts', 'make-external-models.py'), join(dir, 'torchport', 'keras'), join(dir, 'tf')], { reject: false });
    expect(made.exitCode, String(made.stderr)).toBe(0);
  });

  it("TFLiteConverter's float32 file passes in LiteRT.js and the native interpreter, judged as fp32", async () => {
    const run = await verify('--tflite', join(dir, 'tf', 'tf.fp32.tflite'));
    expect(run.code, run.err).toBe(0);
    expect(run.targets).toEqual(['file-tflite-fp32', 'file-tflite-native-fp32']);
    expect(run.report!.results.every((r) => r.pass && r.status === 'pass')).toBe(true);
  });

  it('a renamed channels-first dynamic-range int8 file is matched by position and layout, and judged as dynamic-int8', async () => {
    const run = await verify('--tflite', join(dir, 'tf', 'nchw.dynamic-int8.tflite'), '--targets', 'file-tflite');
    expect(run.code, run.err).toBe(0);
    expect(run.targets).toEqual(['file-tflite-dynamic-int8']);
    // Forcing the wrong layout cannot be matched: the error names both sides.
    const forced = await verify('--tflite', join(dir, 'tf', 'nchw.dynamic-int8.tflite'), '--targets', 'file-tflite', '--layout', 'channels-last');
    expect(forced.code).toBe(1);
    expect(forced.report!.results[0]!.reason).toMatch(/input_0 \[1, 3, 32, 32\] fits pixels \[1, 3, 32, 32\] in neither layout/);
  });

  it('a model.keras saved by Keras 3 passes in real Keras 3', async () => {
    const run = await verify('--keras', join(dir, 'tf', 'nchw.keras'));
    expect(run.code, run.err).toBe(0);
    expect(run.targets).toEqual(['file-keras-py']);
  });
});

describe('Keras files in TF.js', () => {
  it("torchport's own model.json passes; with one layer's weights planted wrong it fails and the first divergence names that layer", async () => {
    const good = await verify('--keras', join(dir, 'torchport', 'keras', 'model.json'));
    expect(good.code, good.err).toBe(0);
    expect(good.targets).toEqual(['file-keras']);

    const model = await loadTfjsLayersModel(join(dir, 'torchport', 'keras', 'model.json'));
    const layer = model.getLayer('layer2.0.conv2');
    layer.setWeights(layer.getWeights().map((w, i) => (i === 0 ? w.mul(1.05) : w)));
    await mkdir(join(dir, 'faulty'), { recursive: true });
    await saveTfjsLayersModel(model, join(dir, 'faulty'));
    model.dispose();
    const bad = await verify('--keras', join(dir, 'faulty', 'model.json'));
    expect(bad.code).toBe(1);
    expect(bad.report!.results.some((r) => !r.pass)).toBe(true);
    expect(bad.report!.targets.find((t) => t.target === 'file-keras')?.divergence?.first?.module).toBe('layer2.0.conv2');
  });
});

describe('bench on a file', () => {
  it('times the file under its file target name', async () => {
    const result = await runCli(
      ['bench', GOLDEN, '--tflite', join(dir, 'torchport', 'model.tflite'), '--targets', 'file-tflite', '--time', '100', '--rounds', '2', '--warmup', '20', '--report', join(dir, 'reports'), '--json'],
      { cwd: ROOT, env: { ...process.env, CI: 'false' } },
    );
    expect(result.code, result.err).toBe(0);
    expect(() => JSON.parse(result.out) as unknown).not.toThrow();
    expect(result.out).toContain('"file-tflite-fp32"');
  });
});

describe('files that do not fit, and hostile files', () => {
  it('a file for another model fails with an error naming both sides', async () => {
    const result = await runCli(
      ['verify', join(ROOT, 'golden', 'two_inputs_two_outputs'), '--tflite', join(dir, 'torchport', 'model.tflite'), '--targets', 'file-tflite', '--report', join(dir, 'reports'), '--json'],
      { cwd: ROOT, env: { ...process.env, CI: 'false' } },
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as Report;
    expect(report.results[0]!.reason).toMatch(
      /model\.tflite has 1 input\(s\) but golden two_inputs_two_outputs has 2: golden inputs \(PyTorch layout\): input_0 .*; model\.tflite inputs: input_0 \[1, 32, 32, 3\]/,
    );
  });

  it('garbage, truncated, unknown and missing files are refused with the path and what is wrong', async () => {
    await writeFile(join(dir, 'junk.tflite'), Buffer.from('this is not a flatbuffer at all, just text'));
    const junk = await verify('--tflite', join(dir, 'junk.tflite'));
    expect(junk.code).toBe(2);
    expect(junk.err).toMatch(/junk\.tflite: not a readable TFLite model .*\[E_MODEL_FILE\]/);

    const h5 = await readFile(join(dir, 'torchport', 'keras', 'model.h5'));
    await writeFile(join(dir, 'truncated.h5'), h5.subarray(0, Math.floor(h5.length / 3)));
    const truncated = await verify('--keras', join(dir, 'truncated.h5'), '--targets', 'file-keras');
    expect(truncated.code).toBe(1);
    expect(truncated.report!.results[0]!.reason).toMatch(/truncated\.h5/);

    const unknown = await verify('--keras', join(dir, 'junk.tflite'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/expected a Keras \.h5 \/ \.keras file or a TF\.js model\.json, got "junk\.tflite"/);
    const missing = await verify('--tflite', join(dir, 'nowhere.tflite'));
    expect(missing.err).toMatch(/nowhere\.tflite: no such file/);
    const two = await runCli(['verify', GOLDEN, join(ROOT, 'golden', 'trap_noops'), '--tflite', join(dir, 'torchport', 'model.tflite')], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/name exactly one golden/);
  });
});
