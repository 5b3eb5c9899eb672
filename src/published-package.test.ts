// The package as a user gets it: `npm pack` (which builds dist/), the tarball installed into a
// scratch project, then that project imports 'torchport' and 'torchport/layers', converts a
// committed golden through the API, loads the Keras model into its own @tensorflow/tfjs and checks
// the prediction against PyTorch's recorded output; its types check and its bin answers.
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const golden = join(repo, 'golden/resnet_basic_block');
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

const CONSUMER = `
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertGolden, loadGolden, toKerasLayout, toTorchLayout, Tensor, writeArtifacts } from 'torchport';
import { registerLayers } from 'torchport/layers';

const [goldenDir, out] = process.argv.slice(2);
const golden = await loadGolden(goldenDir);
const conversion = await convertGolden(golden, { variants: ['fp32'] });
const record = await writeArtifacts(conversion, out);

const layers = registerLayers();
const modelJson = JSON.parse(await readFile(join(out, record.keras.modelJson), 'utf8'));
const weights = await readFile(join(out, 'keras', modelJson.weightsManifest[0].paths[0]));
const model = await tf.loadLayersModel(tf.io.fromMemory({
  modelTopology: modelJson.modelTopology,
  weightSpecs: modelJson.weightsManifest[0].weights,
  weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
}));
const inputs = toKerasLayout(await golden.inputs(0), record.io.inputs);
const predicted = model.predict(inputs.map((t) => tf.tensor(Array.from(t.data), [...t.shape])));
const keras = (Array.isArray(predicted) ? predicted : [predicted]).map((t) => new Tensor('float32', t.shape, t.dataSync()));
const outputs = toTorchLayout(keras, record.io.outputs);
const expected = await golden.outputs(0);
let maxAbsDiff = 0;
for (let i = 0; i < expected.length; i++) {
  for (let k = 0; k < expected[i].data.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(outputs[i].data[k] - expected[i].data[k]));
}
const tflite = await readFile(join(out, record.tflite.fp32.file));
console.log(JSON.stringify({
  layers,
  usedCustomLayers: layers.filter((name) => JSON.stringify(modelJson.modelTopology).includes('"class_name":"' + name + '"')),
  maxAbsDiff,
  shapes: expected.map((t) => t.shape),
  tfliteIdentifier: tflite.subarray(4, 8).toString('latin1'),
}));
`;

const TYPED_CONSUMER = `
import { convertGolden, loadGolden, type ConversionRecord } from 'torchport';
import { registerLayers } from 'torchport/layers';
const record: Promise<ConversionRecord['model']> = loadGolden('g').then((g) => convertGolden(g, { variants: ['fp32'] })).then((c) => c.model);
const names: string[] = registerLayers();
export { record, names };
`;

describe('the published package', () => {
  let work: string;
  let project: string;
  let version: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'torchport-pack-'));
    version = (JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    // Packed from a copy: `npm pack` builds dist/ (prepack), which must not rewrite the checkout's
    // dist/ under other tests that run its bin.
    const source = join(work, 'source');
    await mkdir(source);
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'bin', 'scripts'])
      await cp(join(repo, entry), join(source, entry), { recursive: true });
    await symlink(join(repo, 'node_modules'), join(source, 'node_modules'));
    const packed = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, env, timeout: 240_000 });
    const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string }];
    project = join(work, 'consumer');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await execa('npm', ['install', '--prefer-offline', '--no-package-lock', join(work, filename)], { cwd: project, env, timeout: 300_000 });
  }, 600_000);

  afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

  /** tsc as a consumer project runs it: strict, Node's ESM resolution, the installed package's types. */
  const consumerTsc = (args: readonly string[]) =>
    execa(
      'node',
      [
        join(repo, 'node_modules/typescript/bin/tsc'),
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        '--types',
        'node',
        '--typeRoots',
        join(repo, 'node_modules/@types'),
        ...args,
      ],
      { cwd: project, reject: false, timeout: 120_000 },
    );
  it("converts a model through the API and the Keras model it writes loads in the project's own tfjs", async () => {
    await writeFile(join(project, 'consumer.mjs'), CONSUMER);
    const run = await execa('node', ['consumer.mjs', golden, join(project, 'out')], { cwd: project, env, timeout: 300_000 });
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { layers: string[]; usedCustomLayers: string[]; maxAbsDiff: number; shapes: number[][]; tfliteIdentifier: string };
    expect(result.layers).toContain('ConstantPadding');
    expect(result.usedCustomLayers.length).toBeGreaterThan(0); // the model needs registration to load at all
    expect(result.shapes).toEqual([[1, 10]]);
    expect(result.maxAbsDiff).toBeLessThan(1e-4);
    expect(result.tfliteIdentifier).toBe('TFL3');
  }, 300_000);

  it('ships types a TypeScript consumer resolves', async () => {
    await writeFile(join(project, 'typed.ts'), TYPED_CONSUMER);
    const result = await consumerTsc(['--noEmit', 'typed.ts']);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  }, 120_000);

  it('runs the examples of docs/api.md against the installed package (each compiles; those that need no outside files run)', async () => {
    const doc = await readFile(join(repo, 'docs/api.md'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const files: string[] = [];
    const runnable: string[] = [];
    for (const [i, block] of blocks.entries()) {
      const name = `api-example-${i}.ts`;
      const standalone = !/kerasModel|https:\/\//.test(block);
      const code = block
        .replaceAll("'golden/mynet'", JSON.stringify(golden))
        .replaceAll("goldenRoot: 'golden'", `goldenRoot: ${JSON.stringify(join(repo, 'golden'))}`)
        .replaceAll("'out/mynet'", JSON.stringify(join(project, 'api-out')))
        .replaceAll("'reports/api-run'", JSON.stringify(join(project, 'api-run')));
      // The examples that need a model or weights of your own only have to compile.
      const prelude = standalone ? '' : "import type * as tfTypes from '@tensorflow/tfjs';\ndeclare const kerasModel: tfTypes.LayersModel;\n";
      await writeFile(join(project, name), `${prelude}${code}\nexport {};\n`);
      files.push(name);
      if (standalone) runnable.push(name.replace(/\.ts$/, '.js'));
    }
    const compiled = await consumerTsc(['--outDir', 'compiled', ...files]);
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(runnable.length).toBeGreaterThanOrEqual(3);
    for (const file of runnable) {
      const run = await execa('node', [join('compiled', file)], { cwd: project, env, reject: false, timeout: 300_000 });
      expect(run.exitCode, `${file}: ${run.stderr}`).toBe(0);
    }
  }, 600_000);

  it('installs a bin that runs the compiled CLI: --version, and a command that reads goldens', async () => {
    const bin = join(project, 'node_modules/.bin/torchport');
    expect((await execa(bin, ['--version'], { cwd: project, env })).stdout.trim()).toBe(version);
    const listed = await execa(bin, ['golden', 'list', '--golden', join(repo, 'golden')], { cwd: project, env });
    expect(listed.stdout).toMatch(/resnet_basic_block/);
    const installed = join(project, 'node_modules/torchport');
    await expect(readFile(join(installed, 'dist/cli/main.js'), 'utf8')).resolves.toContain('export async function main');
    await expect(readFile(join(installed, 'src/cli/main.ts'), 'utf8')).rejects.toThrow(/ENOENT/);
  }, 120_000);
});
