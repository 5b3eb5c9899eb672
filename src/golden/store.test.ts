import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorchBridge } from '../torch/index.ts';
import { GoldenExistsError, GoldenWriteRefusedError, listGoldenDirs, loadGolden, recordGolden, verifyGolden } from './index.ts';

const testFixture = (name: string) => new URL(`../torch/test-fixtures/${name}`, import.meta.url).pathname;

describe('goldens recorded with real torch', () => {
  let bridge: TorchBridge;
  let work: string;
  let fixture: string;
  let root: string;
  beforeAll(async () => {
    bridge = new TorchBridge();
    work = await mkdtemp(join(tmpdir(), 'golden-test-'));
    // A private copy of a fixture, so the test can change it without touching the repo.
    fixture = join(work, 'tiny.py');
    await copyFile(testFixture('two_outputs_noisy.py'), fixture);
    root = join(work, 'golden');
  });
  afterAll(async () => {
    await bridge.close();
    await rm(work, { recursive: true, force: true });
  });

  it('records manifest, weights, inputs and outputs per seed, all hashed, and verifies clean', async () => {
    const manifest = await recordGolden(bridge, fixture, { goldenRoot: root, ci: false });
    expect(manifest.name).toBe('tiny');
    expect(manifest.seeds).toEqual([5, 6, 7]); // SEED = 5, three seeds by default
    expect(manifest.inputDistribution).toEqual({ kind: 'uniform', low: -2, high: 2 });
    expect(manifest).not.toHaveProperty('tolerance'); // policy is read from the fixture, never recorded
    expect(manifest.outputs.map((o) => o.name)).toEqual(['output_0', 'output_1']);
    expect(Object.keys(manifest.files).sort()).toEqual([
      'activations.safetensors', 'constants.safetensors',
      'float64/seed-5/output_0.npy', 'float64/seed-5/output_1.npy', 'float64/seed-6/output_0.npy', 'float64/seed-6/output_1.npy', 'float64/seed-7/output_0.npy', 'float64/seed-7/output_1.npy',
      'graph.json', 'model.onnx',
      'seed-5/input_0.npy', 'seed-5/input_1.npy', 'seed-5/output_0.npy', 'seed-5/output_1.npy',
      'seed-6/input_0.npy', 'seed-6/input_1.npy', 'seed-6/output_0.npy', 'seed-6/output_1.npy',
      'seed-7/input_0.npy', 'seed-7/input_1.npy', 'seed-7/output_0.npy', 'seed-7/output_1.npy',
      'weights.safetensors',
    ]);
    const golden = await loadGolden(join(root, 'tiny'));
    const [a, b] = await golden.inputs(6);
    const [out0] = await golden.outputs(6);
    // The fixture computes a * 2 + [0, 1, 2]: the recorded output is torch's answer on the recorded input.
    expect(out0!.toArray()).toEqual(a!.toArray().map((v, i) => Math.fround(v * 2 + (i % 3))));
    expect(b!.data).not.toEqual(a!.data);
    // The graph captured on the first seed: the add (of a buffer) and the mul/sum of the second output.
    const { graph } = await golden.graph();
    expect(graph.nodes.map((n) => n.op)).toEqual(['Tensor.mul', 'Tensor.add', 'Tensor.mul', 'Tensor.sum']);
    expect(graph.nodes[1]!.args[1]).toEqual({ param: 'offset' });
    const activations = await golden.activations();
    const seed5 = await golden.outputs(5);
    expect(activations.get(graph.outputs[0]!.value)!.toArray()).toEqual(seed5[0]!.toArray());
    expect(await verifyGolden(join(root, 'tiny'))).toMatchObject({ ok: true, problems: [] });
  });

  it('reports tampered, missing and unrecorded files by name', async () => {
    const dir = join(work, 'tampered');
    await recordGolden(bridge, fixture, { goldenRoot: dir, ci: false });
    const golden = join(dir, 'tiny');
    const npy = await readFile(join(golden, 'seed-5/output_0.npy'));
    npy[npy.length - 1] = npy[npy.length - 1]! ^ 0x01;
    await writeFile(join(golden, 'seed-5/output_0.npy'), npy);
    await rm(join(golden, 'seed-6/input_1.npy'));
    await writeFile(join(golden, 'seed-7/extra.npy'), 'x');
    const result = await verifyGolden(golden);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^seed-5\/output_0\.npy: content changed since recording/),
        'seed-6/input_1.npy: missing',
        'seed-7/extra.npy: not recorded in the manifest',
      ]),
    );
  });

  it('notices a fixture edited after recording and says how to re-record', async () => {
    const dir = join(work, 'edited');
    const copy = join(dir, 'tiny.py');
    await mkdir(dir, { recursive: true });
    await copyFile(fixture, copy);
    await recordGolden(bridge, copy, { goldenRoot: join(dir, 'golden'), ci: false });
    await appendFile(copy, '\n# an edit\n');
    const result = await verifyGolden(join(dir, 'golden', 'tiny'));
    expect(result.problems).toEqual([expect.stringMatching(/tiny\.py: changed since the golden was recorded; re-record with `npx torchport golden add .*tiny\.py --update`/)]);
  });

  it('never overwrites without --update, and replaces the whole golden with it', async () => {
    const dir = join(work, 'update');
    const first = await recordGolden(bridge, fixture, { goldenRoot: dir, ci: false });
    await expect(recordGolden(bridge, fixture, { goldenRoot: dir, ci: false })).rejects.toThrow(GoldenExistsError);
    const second = await recordGolden(bridge, fixture, { goldenRoot: dir, ci: false, update: true, seedCount: 1 });
    expect(second.seeds).toEqual([5]);
    expect(second.createdAt >= first.createdAt).toBe(true);
    expect(await readdir(join(dir, 'tiny'))).toEqual(['activations.safetensors', 'constants.safetensors', 'float64', 'graph.json', 'manifest.json', 'model.onnx', 'seed-5', 'weights.safetensors']);
    expect((await verifyGolden(join(dir, 'tiny'))).ok).toBe(true);
  });

  it('writes nothing under CI', async () => {
    const dir = join(work, 'ci');
    await expect(recordGolden(bridge, fixture, { goldenRoot: dir, ci: true })).rejects.toThrow(GoldenWriteRefusedError);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('leaves no golden behind when recording fails midway, and ignores staging left by a killed run', async () => {
    const dir = join(work, 'interrupted');
    const broken = join(work, 'broken.py');
    await writeFile(broken, (await readFile(fixture, 'utf8')).replace('print("forward called")', 'raise RuntimeError("dies in forward")'));
    await expect(recordGolden(bridge, broken, { goldenRoot: dir, ci: false })).rejects.toThrow(/dies in forward/);
    expect(await readdir(dir)).toEqual([]);
    // A run killed mid-recording leaves its hidden staging directory: it is not a golden...
    await mkdir(join(dir, '.tiny.tmp-999-abcd', 'seed-5'), { recursive: true });
    await writeFile(join(dir, '.tiny.tmp-999-abcd', 'manifest.json'), '{}');
    expect(await listGoldenDirs(dir)).toEqual([]);
    expect((await verifyGolden(join(dir, 'tiny'))).ok).toBe(false);
    // ...and the next recording of that name clears it.
    await recordGolden(bridge, fixture, { goldenRoot: dir, ci: false, seedCount: 1 });
    expect(await readdir(dir)).toEqual(['tiny']);
  });

  it('publishes exactly one golden when two recordings of one name overlap, and spares a live process\'s staging', async () => {
    const other = new TorchBridge();
    try {
      for (let round = 0; round < 3; round++) {
        const dir = join(work, `race-${round}`);
        // Staging of another live process (our parent) and of a dead one (pid 2^22 + 1 is above pid_max's default).
        const live = join(dir, `.tiny.tmp-${process.ppid}-0123abcd`);
        await mkdir(live, { recursive: true });
        await mkdir(join(dir, '.tiny.tmp-4194305-0123abcd'));
        // Before: each removed the other's staging directory mid-recording, or both "succeeded" and
        // the second overwrote the first without --update, or a half-empty golden was published.
        const settled = await Promise.allSettled([bridge, other].map((b) => recordGolden(b, fixture, { goldenRoot: dir, ci: false, seedCount: 2 })));
        expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
        const refused = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
        expect(refused.reason).toBeInstanceOf(GoldenExistsError);
        expect((await verifyGolden(join(dir, 'tiny'))).ok).toBe(true);
        expect((await readdir(dir)).sort()).toEqual([`.tiny.tmp-${process.ppid}-0123abcd`, 'tiny']);
      }
    } finally {
      await other.close();
    }
  });
});
