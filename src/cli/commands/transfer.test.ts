import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKerasModel, kerasInputOf, loadKerasFixture, toTorchLayout } from '../../keras/fixtures/index.ts';
import { MODEL_JSON_NAME, WEIGHTS_BIN_NAME, loadKerasH5, loadTfjsLayersModel, saveTfjsLayersModel } from '../../keras/io/index.ts';
import { createKerasRunner } from '../../runtimes/keras/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { main } from '../main.ts';
import { atMost } from '../../../test/support/tolerance.ts';

let dir: string;
beforeAll(async () => {
  await initTfjsBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'torchport-transfer-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

async function cli(...argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr, cwd: dir, env: { TORCHPORT_TFJS_BACKEND: 'wasm' } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The user's hand-written Keras model, saved with its random initial weights. */
async function handWritten(name: 'seed_conv' | 'convnet'): Promise<string> {
  const saved = await saveTfjsLayersModel(buildKerasModel(name), path.join(dir, `hand-${name}`));
  return saved.modelJsonPath;
}

describe('torchport transfer', () => {
  it("reproduces the seed's example end to end: both saved formats match torch at 1e-5", async () => {
    const fixture = await loadKerasFixture('seed_conv');
    const keras = await handWritten('seed_conv');
    const { code, stdout, stderr } = await cli('transfer', '--weights', fixture.safetensorsPath, '--keras', keras, '--out', 'out-seed');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('filled 1 of 1 Keras weights from 1 PyTorch tensors');
    expect(stdout).toMatch(/tfjs backend: wasm/);
    const out = path.join(dir, 'out-seed');
    expect((await readdir(out)).sort()).toEqual([WEIGHTS_BIN_NAME, 'model.h5', MODEL_JSON_NAME, 'transfer-report.json', 'torchport_layers.py'].sort());
    const report = JSON.parse(await readFile(path.join(out, 'transfer-report.json'), 'utf8'));
    expect(report.assignments).toEqual([expect.objectContaining({ layer: 'conv', tensor: 'conv.weight', torchShape: [1, 3, 3, 3], kerasShape: [3, 3, 3, 1] })]);
    for (const model of [await loadTfjsLayersModel(path.join(out, MODEL_JSON_NAME)), await loadKerasH5(path.join(out, 'model.h5'))]) {
      const runner = await createKerasRunner(model);
      const [output] = await runner.run([kerasInputOf(fixture)]);
      await runner.dispose();
      expect(toTorchLayout(fixture, output!)).toMatchReference(fixture.torchOutput, atMost(1e-5));
    }
  });

  it('fails with exit code 2, listing every problem, and writes nothing when strict transfer fails', async () => {
    const fixture = await loadKerasFixture('convnet');
    const keras = await handWritten('seed_conv');
    const { code, stderr } = await cli('transfer', '--weights', fixture.safetensorsPath, '--keras', keras, '--out', 'out-bad');
    expect(code).toBe(2);
    expect(stderr).toContain('[E_TRANSFER]');
    expect(stderr).toContain("no PyTorch tensor 'conv.weight'");
    expect(stderr).toContain("[E_TRANSFER_UNUSED] PyTorch tensor 'fc.weight'");
    await expect(readdir(path.join(dir, 'out-bad'))).rejects.toThrow();
  });

  it('--no-strict writes what fits and exits 1 when problems remain', async () => {
    const fixture = await loadKerasFixture('seed_conv');
    const stateDictWithExtra = path.join(dir, 'extra.safetensors');
    const { encodeSafetensors } = await import('../../torch/index.ts');
    const { Tensor } = await import('../../tensor/index.ts');
    const tensors = new Map(fixture.stateDict);
    tensors.set('other.weight', Tensor.zeros('float32', [2]));
    await writeFile(stateDictWithExtra, encodeSafetensors(tensors));
    const keras = await handWritten('convnet');
    const looseRun = await cli('transfer', '--weights', stateDictWithExtra, '--keras', keras, '--out', 'out-loose', '--no-strict');
    expect(looseRun.code).toBe(1);
    expect(looseRun.stdout).toContain('unused conv.weight');
    expect(looseRun.stdout).toContain('unused other.weight');
    expect(looseRun.stderr).toMatch(/problem\(s\) left in a non-strict transfer/);
  });

  it('reads a torch.save training checkpoint (.pth with state_dict + metadata) and matches torch at 1e-5', async () => {
    const fixture = await loadKerasFixture('seed_conv');
    const keras = await handWritten('seed_conv');
    const pth = fixture.safetensorsPath.replace(/\.safetensors$/, '.pth');
    const { code, stderr } = await cli('transfer', '--weights', pth, '--keras', keras, '--out', 'out-pth');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const runner = await createKerasRunner(await loadTfjsLayersModel(path.join(dir, 'out-pth', MODEL_JSON_NAME)));
    const [output] = await runner.run([kerasInputOf(fixture)]);
    await runner.dispose();
    expect(toTorchLayout(fixture, output!)).toMatchReference(fixture.torchOutput, atMost(1e-5));
    const wrongKey = await cli('transfer', '--weights', pth, '--key', 'optimizer', '--keras', keras, '--out', 'x');
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/optimizer/);
  });

  it('refuses missing weight files and bad flags with exit code 2', async () => {
    const keras = await handWritten('seed_conv');
    const pth = await cli('transfer', '--weights', 'model.pth', '--keras', keras, '--out', 'x');
    expect(pth.code).toBe(2);
    expect(pth.stderr).toMatch(/model\.pth: cannot be read.*\[E_INPUT_FILE\]/);
    expect((await cli('transfer', '--keras', keras, '--out', 'x')).code).toBe(2);
    const fixture = await loadKerasFixture('seed_conv');
    const eps = await cli('transfer', '--weights', fixture.safetensorsPath, '--keras', keras, '--out', 'x', '--torch-epsilon', 'tiny');
    expect(eps.code).toBe(2);
    expect(eps.stderr).toContain('must be a positive number');
    const missing = await cli('transfer', '--weights', 'nope.safetensors', '--keras', keras, '--out', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.safetensors: cannot be read');
  });
});

describe('torchport transfer: PyTorch modules named differently from the Keras layers', () => {
  async function renamedWeights(file: string, rename: (name: string) => string): Promise<string> {
    const fixture = await loadKerasFixture('seed_conv');
    const { encodeSafetensors } = await import('../../torch/index.ts');
    await writeFile(path.join(dir, file), encodeSafetensors(new Map([...fixture.stateDict].map(([name, tensor]) => [rename(name), tensor]))));
    return path.join(dir, file);
  }

  async function matchesTorch(out: string): Promise<void> {
    const fixture = await loadKerasFixture('seed_conv');
    const runner = await createKerasRunner(await loadTfjsLayersModel(path.join(dir, out, MODEL_JSON_NAME)));
    const [output] = await runner.run([kerasInputOf(fixture)]);
    await runner.dispose();
    expect(toTorchLayout(fixture, output!)).toMatchReference(fixture.torchOutput, atMost(1e-5));
  }

  it('the failure says which flags carry the advice; --module-names (inline JSON or a file) follows it', async () => {
    const weights = await renamedWeights('stem.safetensors', (name) => name.replace(/^conv\./, 'stem.'));
    const keras = await handWritten('seed_conv');
    const failed = await cli('transfer', '--weights', weights, '--keras', keras, '--out', 'out-unmapped');
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/map names with moduleNames[\s\S]*from the command line: moduleNames is --module-names .*--rename-prefix[\s\S]*\[E_TRANSFER\]/);
    const inline = await cli('transfer', '--weights', weights, '--keras', keras, '--out', 'out-inline', '--module-names', '{"conv": "stem"}');
    expect(inline.stderr).toBe('');
    expect(inline.code).toBe(0);
    await matchesTorch('out-inline');
    await writeFile(path.join(dir, 'names.json'), JSON.stringify({ conv: 'stem' }));
    expect((await cli('transfer', '--weights', weights, '--keras', keras, '--out', 'out-file', '--module-names', 'names.json')).code).toBe(0);
    await matchesTorch('out-file');
  });

  it('--rename-prefix maps Keras name prefixes to PyTorch module prefixes', async () => {
    const weights = await renamedWeights('encoder.safetensors', (name) => `encoder.${name}`.replace('encoder.conv', 'encoder.body_conv'));
    const keras = await handWritten('seed_conv');
    const run = await cli('transfer', '--weights', weights, '--keras', keras, '--out', 'out-prefix', '--rename-prefix', 'co=encoder.body_co');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await matchesTorch('out-prefix');
  });

  it('refuses a malformed map or rule, naming the flag', async () => {
    const keras = await handWritten('seed_conv');
    const fixture = await loadKerasFixture('seed_conv');
    const base = ['transfer', '--weights', fixture.safetensorsPath, '--keras', keras, '--out', 'x'];
    expect((await cli(...base, '--module-names', '{"conv": 3}')).stderr).toMatch(/--module-names: must be a JSON object of Keras layer name -> PyTorch module path strings/);
    expect((await cli(...base, '--module-names', '{"nope": "stem"}')).stderr).toMatch(/--module-names names no layer of the Keras model: nope \(its layers: .*conv/);
    expect((await cli(...base, '--module-names', 'missing.json')).stderr).toMatch(/missing\.json: cannot be read/);
    const rule = await cli(...base, '--rename-prefix', 'conv');
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/--rename-prefix must be <keras prefix>=<torch prefix>/);
  });
});
